/** contract.d.ts is contract.ts's declaration output; made here for the test and the script. */
import assert from 'node:assert/strict';
import ts from 'typescript';

export const GENERATED_HEADER = '// Generated from contract.ts (declarations only); do not edit. See test/unit/contract.test.ts.\n';

/** contract.ts's declaration output, as `tsc --declaration --emitDeclarationOnly` writes it. */
export function declarationOf(path: string): string {
  let output = '';
  const options: ts.CompilerOptions = {
    declaration: true,
    emitDeclarationOnly: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: false,
    types: [],
    skipLibCheck: true
  };
  const host = ts.createCompilerHost(options);
  host.writeFile = (name, text) => {
    if (name.endsWith('.d.ts')) output = text;
  };
  const program = ts.createProgram([path], options, host);
  const result = program.emit();
  assert.deepEqual(result.diagnostics.map(d => ts.flattenDiagnosticMessageText(d.messageText, '\n')), []);
  return GENERATED_HEADER + output;
}

