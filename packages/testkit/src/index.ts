export * from './free-port.js';
export * from './redis-server.js';
export * from './test-reports.js';
export * from './markdown-code.js';
export * from './readme-commands.js';
export * from './mentioned-make-targets.js';
export * from './makefile-targets.js';
export * from './promtool.js';
