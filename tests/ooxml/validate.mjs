// Validates each file named on the command line with the Open XML SDK at one Office level and
// prints one JSON object: {path: [{id, part, xpath, description}, ...]}. One process for all files,
// because loading the SDK (WebAssembly) is most of the cost for small files.
//   node validate.mjs Office2016 a.xlsx b.xlsm c.xlam
import { readFile } from "fs/promises";
import validate from "@ooxml-tools/validate";

const [level, ...paths] = process.argv.slice(2);
const findings = {};
for (const path of paths) {
  const errors = await validate(await readFile(path), "xlsx", level);
  findings[path] = errors.map((e) => ({
    id: e.id,
    part: e.path?.partUri,
    xpath: e.path?.xpath,
    description: e.description,
  }));
}
process.stdout.write(JSON.stringify(findings));
