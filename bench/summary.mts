/**
 * The targets table of a `npm run bench` report: the rows its benchmarks marked
 * (bench/targets.mts), as one markdown table. Usage: node --import tsx bench/summary.mts <report.md>
 */
import { readFileSync } from 'node:fs';
import { targetsIn } from './targets.mjs';

const rows = targetsIn(readFileSync(process.argv[2], 'utf8'));
const cell = (text: string) => text.replace(/\|/g, '\\|');
console.log('| # | measure | target | result | met |');
console.log('| --- | --- | --- | --- | --- |');
rows.forEach((row, i) =>
  console.log(
    `| ${i + 1} | ${cell(row.measure)} | ${cell(row.target)} | ${cell(row.result)} | ${
      row.met === null ? '—' : row.met ? 'yes' : '**no**'
    } |`
  )
);
const judged = rows.filter(row => row.met !== null);
console.log();
console.log(
  `${judged.filter(row => row.met).length} of ${judged.length} targets met.`
);
