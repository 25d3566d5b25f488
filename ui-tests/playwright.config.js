/**
 * Galata (Playwright) against a real JupyterLab in Debian's headless Chromium.
 * Playwright's own browser downloads do not work offline, so the system Chromium
 * is used (CHROMIUM overrides its path).
 *
 * Two servers, one project each:
 * - `lab`: every spec but home.spec.ts, against a server rooted at the small demo field
 *   (jupyter_server_test_config.py);
 * - `home`: tests/home.spec.ts, against a server started as a user starts it, `cd ~/project &&
 *   jupyter lab` in a fresh $HOME, under the JupyterHub-style base URL /user/astro/
 *   (home_server.sh, jupyter_server_home_config.py);
 * - `real`: tests/real.spec.ts, against a server rooted at the real-products corpus (romanisim +
 *   romancal files of `make real-data`, linked into .real by real_root.py); only when the corpus
 *   is there (`make test` builds it).
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const port = process.env.ROMAN_LAB_UI_PORT || '8765';
const homePort = process.env.ROMAN_LAB_UI_HOME_PORT || '8766';
const jupyter = process.env.JUPYTER || path.resolve(__dirname, '../.venv/bin/jupyter');
// home.spec.ts reads the same folder (its HOME, the manifest of ~/project, the server log)
process.env.ROMAN_LAB_UI_HOME_RUN = process.env.ROMAN_LAB_UI_HOME_RUN || path.resolve(__dirname, '.home-run');
const HOME_SPEC = /home\.spec\.ts$/;
const REAL_SPEC = /real\.spec\.ts$/;
const realPort = process.env.ROMAN_LAB_UI_REAL_PORT || '8767';
const realRoot = path.resolve(__dirname, '.real');

/** The real-products corpus the Python tests use too: the CI-sized one first, else the full one. */
function realCorpus() {
  const root = (process.env.ROMAN_LAB_REAL_DATA || path.join(os.homedir(), '.cache/roman-lab/real-data')).replace(/^~(?=\/|$)/, os.homedir());
  return ['ci', 'full'].map(size => path.join(root, `corpus-${size}`)).find(dir => fs.existsSync(path.join(dir, 'STAMP')));
}
const corpus = realCorpus();

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
  projects: [
    { name: 'lab', testIgnore: [HOME_SPEC, REAL_SPEC] },
    {
      name: 'home',
      testMatch: HOME_SPEC,
      // Galata joins baseURL and appPath as strings: the pages are /user/astro/lab/...
      use: { baseURL: `http://127.0.0.1:${homePort}/user/astro` }
    },
    ...(corpus ? [{ name: 'real', testMatch: REAL_SPEC, use: { baseURL: `http://127.0.0.1:${realPort}` } }] : [])
  ],
  webServer: [
    {
      command: `${jupyter} lab --config jupyter_server_test_config.py`,
      url: `http://127.0.0.1:${port}/lab`,
      timeout: 120 * 1000,
      reuseExistingServer: false
    },
    {
      command: 'bash home_server.sh',
      url: `http://127.0.0.1:${homePort}/user/astro/lab`,
      env: { JUPYTER: jupyter, ROMAN_LAB_UI_HOME_PORT: homePort },
      timeout: 120 * 1000,
      reuseExistingServer: false
    },
    ...(corpus
      ? [
          {
            command: `${JSON.stringify(path.join(path.dirname(jupyter), 'python'))} real_root.py ${JSON.stringify(corpus)} ${JSON.stringify(realRoot)} && ${JSON.stringify(jupyter)} lab --config jupyter_server_test_config.py`,
            url: `http://127.0.0.1:${realPort}/lab`,
            env: { JUPYTERLAB_GALATA_ROOT_DIR: realRoot, ROMAN_LAB_UI_PORT: realPort },
            timeout: 180 * 1000,
            reuseExistingServer: false
          }
        ]
      : [])
  ]
};
