/**
 * Command-line parsing for Petal's Node programs: `--help`/`-h` prints the usage and exits 0, and a
 * malformed command line gets one clear line and exit code 2 instead of a stack trace.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseCommandLine<const O extends Options>(
  usage: string,
  config: { options: O; allowPositionals?: boolean; args?: string[] },
) {
  const options = { ...config.options, help: { type: 'boolean', short: 'h' } } as const;
  let parsed;
  try {
    parsed = parseArgs({ ...config, options, strict: true });
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${usage}`);
    process.exit(2);
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(usage);
    process.exit(0);
  }
  return parsed;
}
