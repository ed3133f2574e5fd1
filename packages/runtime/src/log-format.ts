import { z } from 'zod';

/** `auto`: readable lines on a terminal, JSON lines otherwise (pipes, files, journald, CI). */
export const logFormatField = z.enum(['auto', 'pretty', 'json']).default('auto');

export type LogFormatSetting = z.output<typeof logFormatField>;

/**
 * The log format a process uses: the setting when it is pretty or json; for auto, pretty only when stdout is a
 * terminal and CI is not set.
 *
 *   chooseLogFormat({ setting: config.logFormat, isTTY: process.stdout.isTTY, env: process.env })
 */
export function chooseLogFormat(o: { setting?: LogFormatSetting | undefined; isTTY: boolean | undefined; env: Readonly<Record<string, string | undefined>> }): 'pretty' | 'json' {
  const setting = o.setting ?? 'auto';
  if (setting !== 'auto') return setting;
  const ci = o.env['CI'];
  return o.isTTY === true && (ci === undefined || ci === '' || ci === 'false' || ci === '0') ? 'pretty' : 'json';
}
