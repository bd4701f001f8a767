'use strict';
module.exports = {
  'node-option': ['import=tsx'],
  require: ['./test/setup.ts'],
  reporter: './scripts/mocha-reporter.cjs',
  timeout: 20000,
  exit: true,
};
