'use strict';
module.exports = {
  'node-option': ['import=tsx'],
  reporter: './scripts/mocha-reporter.cjs',
  timeout: 20000,
  exit: true,
};
