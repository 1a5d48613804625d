/**
 * `completion bash|zsh|fish`: prints a shell completion script for this version's commands,
 * flags and values (src/cli/completion.ts). Reads no database.
 */
import type { Command } from '../command.js';
import { positionals } from '../util.js';
import { InputError } from '../../domain/errors.js';
import { escapeControl } from '../../text/escape.js';
import { completionModel, completionScript, SHELLS, type Shell } from '../completion.js';

const USAGE = 'completion bash|zsh|fish';

const command: Command = {
  usage: USAGE,
  summary: `Print a shell completion script for bash, zsh or fish, made from this version's
commands, flags and values. Install it:

bash: add eval "$(agentic-pipeline completion bash)" to ~/.bashrc.
zsh: add eval "$(agentic-pipeline completion zsh)" to ~/.zshrc.
fish: agentic-pipeline completion fish > ~/.config/fish/completions/agentic-pipeline.fish`,
  flags: {},
  async run(ctx) {
    const [shell] = positionals(ctx, USAGE, ['a shell (bash, zsh or fish)']);
    if (!(SHELLS as readonly string[]).includes(shell!)) {
      throw new InputError(`unknown shell '${escapeControl(shell!)}': expected bash, zsh or fish`);
    }
    const script = completionScript(shell as Shell, await completionModel());
    ctx.out.json({ shell, script });
    if (!ctx.json) ctx.stdout.write(script);
    return 0;
  },
};

export default command;
