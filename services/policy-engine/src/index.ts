// What other packages (tests, tools) may read of the policy engine: its settings and its policy document.
export * from './engine-config.js';
export * from './policy-document.js';
