// Placeholder until this command is built; the registry needs every module to exist.
import type { Command } from '../command.js';
import { notBuilt } from '../not-built.js';

const command: Command = notBuilt('batch-priority');
export default command;
