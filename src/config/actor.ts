/**
 * Who runs a command when --actor is not given: the login name, from the environment ($USER,
 * $LOGNAME) or else the passwd entry. The domain turns the name into an actor (humanActorFor).
 */
import os from 'node:os';
import { humanActorFor, type Actor } from '../domain/actor.js';

export function defaultHumanActor(env: NodeJS.ProcessEnv = process.env): Actor {
  let user = env.USER ?? env.LOGNAME ?? '';
  if (!user) {
    try {
      user = os.userInfo().username;
    } catch {
      user = 'unknown';
    }
  }
  return humanActorFor(user);
}
