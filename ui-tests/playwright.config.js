/**
 * Galata (Playwright) against a real JupyterLab in Debian's headless Chromium.
 * Playwright's own browser downloads do not work offline, so the system Chromium
 * is used (CHROMIUM overrides its path).
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const port = process.env.ROMAN_LAB_UI_PORT || '8765';

module.exports = {
  ...baseConfig,
  reporter: [['list'], ['html', { open: 'never' }]],
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  use: {
    ...baseConfig.use,
    baseURL: `http://127.0.0.1:${port}`,
    video: 'off',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run'
      ]
    }
  },
  webServer: {
    command: `${process.env.JUPYTER || '../.venv/bin/jupyter'} lab --config jupyter_server_test_config.py`,
    url: `http://127.0.0.1:${port}/lab`,
    timeout: 120 * 1000,
    reuseExistingServer: false
  }
};
