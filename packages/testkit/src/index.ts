export * from './free-port.js';
export * from './redis-server.js';
export * from './test-reports.js';
