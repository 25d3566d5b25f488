import plugins from './lab/plugin';

export default plugins;
