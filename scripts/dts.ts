/**
 * dist/index.d.ts for the library entry, with every exported type spelled out structurally. The
 * config's type is zod's `z.input` of the schema; declarations emitted the usual way (tsc
 * --declaration) would keep it as `z.input<typeof …>` over zod's own declarations, so the package
 * would need zod installed for an editor to read a single field. Spelled out by the compiler
 * (TypeChecker.typeToTypeNode), the file stands alone and the package keeps no dependencies. The
 * written file is compiled on its own before the build succeeds, so a type that could not be spelled
 * out (one naming a zod internal) fails the build instead of reaching an editor as `any`.
 */
import { writeFileSync } from 'node:fs';
import ts from 'typescript';
import { VantageError } from '../shared/errors.ts';

const OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2023,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  allowImportingTsExtensions: true,
  noEmit: true,
  skipLibCheck: true,
  types: ['node'],
};

const SPELL_OUT = ts.NodeBuilderFlags.NoTruncation | ts.NodeBuilderFlags.InTypeAlias | ts.NodeBuilderFlags.MultilineObjectLiterals | ts.NodeBuilderFlags.IgnoreErrors;

function fail(message: string): never {
  throw new VantageError('BUILD_DECLARATIONS_FAILED', message);
}

function diagnosticsText(diagnostics: readonly ts.Diagnostic[]): string {
  return ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => process.cwd(), getNewLine: () => '\n' });
}

/** The declarations of `entry`'s exports: type aliases and interfaces spelled out, functions by their signatures. */
export function declarationsOf(entry: string): string {
  const program = ts.createProgram([entry], OPTIONS);
  const errors = ts.getPreEmitDiagnostics(program);
  if (errors.length > 0) fail(`${entry} does not compile:\n${diagnosticsText(errors)}`);
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry) ?? fail(`${entry} not found`);
  const module = checker.getSymbolAtLocation(source) ?? fail(`${entry} is not a module`);
  const printer = ts.createPrinter({ newLine: ts.NewLineKind.LineFeed });
  const print = (node: ts.Node) => printer.printNode(ts.EmitHint.Unspecified, node, source);

  const exports = checker.getExportsOfModule(module).map((s) => ({ name: s.name, symbol: s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s }));
  // A function's parameter of an exported type is written as that type's name, not spelled out again.
  const named = new Map<ts.Type, string>();
  for (const e of exports) if (e.symbol.flags & (ts.SymbolFlags.TypeAlias | ts.SymbolFlags.Interface)) named.set(checker.getDeclaredTypeOfSymbol(e.symbol), e.name);
  const typeText = (type: ts.Type) => named.get(type) ?? print(checker.typeToTypeNode(type, undefined, SPELL_OUT) ?? fail(`cannot write ${checker.typeToString(type)}`));

  const out: string[] = [];
  for (const { name, symbol } of exports) {
    const doc = ts.displayPartsToString(symbol.getDocumentationComment(checker));
    if (doc) out.push(`/** ${doc.replaceAll('*/', '*\\/').split('\n').join('\n * ')} */`);
    if (symbol.flags & (ts.SymbolFlags.TypeAlias | ts.SymbolFlags.Interface)) {
      out.push(`export type ${name} = ${print(checker.typeToTypeNode(checker.getDeclaredTypeOfSymbol(symbol), undefined, SPELL_OUT) ?? fail(`cannot write ${name}`))};`);
    } else if (symbol.flags & ts.SymbolFlags.Function) {
      const type = checker.getTypeOfSymbol(symbol);
      for (const sig of type.getCallSignatures()) {
        const params = sig.getParameters().map((p) => `${p.name}: ${typeText(checker.getTypeOfSymbol(p))}`).join(', ');
        out.push(`export declare function ${name}(${params}): ${typeText(sig.getReturnType())};`);
      }
    } else {
      fail(`${entry} exports ${name}, which is neither a type nor a function; teach scripts/dts.ts to write it`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** Writes `entry`'s declarations to `outFile` and checks that they compile with nothing else installed. */
export function writeDeclarations(entry: string, outFile: string): void {
  const text = declarationsOf(entry);
  writeFileSync(outFile, text);
  const alone = ts.createProgram([outFile], { ...OPTIONS, types: [], noLib: false, skipLibCheck: false });
  const errors = ts.getPreEmitDiagnostics(alone);
  if (errors.length > 0) fail(`${outFile} does not compile on its own:\n${diagnosticsText(errors)}`);
  if (/\bany\b/.test(text.replace(/\/\*\*[\s\S]*?\*\//g, ''))) fail(`${outFile} has an \`any\`: a type was not spelled out`);
}
