/**
 * The deterministic log both bench pages show, and the replay server builds the service's log
 * from (no side effects here: Node imports it too).
 */

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'Collecting Downloading Installing building wheel for numpy scipy pandas matplotlib ' +
  'requirements.txt /srv/conda/envs/notebook lib python3.11 site-packages done sha256 ' +
  'extracting layer exporting to image writing manifest resolving metadata using cached ' +
  'Successfully installed conda-forge noarch linux-64 Preparing transaction Verifying ' +
  'Executing RUN apt-get update apt-get install -y --no-install-recommends jupyterlab ' +
  'notebook ipykernel environment.yml postBuild start config kB MB/s eta 0:00:00 100%'
).split(' ');

/** SGR sequences used on coloured lines (named, bold, 256-colour, true colour). */
const COLOURS = [
  '\x1b[31m',
  '\x1b[32m',
  '\x1b[33m',
  '\x1b[34m',
  '\x1b[1;31m',
  '\x1b[1;32m',
  '\x1b[36m',
  '\x1b[35m',
  '\x1b[1m',
  '\x1b[38;5;208m',
  '\x1b[38;2;120;80;200m',
  '\x1b[90m'
];

/**
 * A BuildKit-like log of `n` lines (`#6 12.345 line-<k> words…`, 80–120 visible characters),
 * ~10% of them with ANSI colour codes. Calls `sink` once per line, in order.
 */
export function generateLines(
  n: number,
  sink: (line: string, index: number) => void
): void {
  const r = rng(0x5eed);
  let step = 5;
  let seconds = 0;
  for (let k = 0; k < n; k++) {
    if (r() < 0.0005) {
      step++;
    }
    seconds += r() * 0.004;
    const target = 80 + Math.floor(r() * 41);
    let line = `#${step} ${seconds.toFixed(3)} line-${k}`;
    const coloured = r() < 0.1;
    let visible = line.length;
    while (visible < target) {
      const word = WORDS[Math.floor(r() * WORDS.length)];
      const take = Math.min(word.length, target - visible - 1);
      if (take <= 0) {
        break;
      }
      const w = word.slice(0, take);
      if (coloured && r() < 0.3) {
        line += ' ' + COLOURS[Math.floor(r() * COLOURS.length)] + w + '\x1b[0m';
      } else {
        line += ' ' + w;
      }
      visible += 1 + take;
    }
    sink(line, k);
  }
}
