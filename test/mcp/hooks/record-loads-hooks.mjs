import fs from 'node:fs';
export async function load(url, context, nextLoad) {
  if (process.env.AP_LOADED_LOG) fs.appendFileSync(process.env.AP_LOADED_LOG, url + '\n');
  return nextLoad(url, context);
}
