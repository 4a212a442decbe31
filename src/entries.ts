// Every command-line entry point, by the name of its launcher in bin/. The
// launcher (bin/launch.cjs) runs the named entry from the one-file bundle
// that tools/build-bundle.mjs makes of this module (with a V8 code cache) or,
// when the bundle cannot be used, from these ES modules. A new front end
// (bin/tsctr-runc) adds one line here and a three-line launcher in bin/
// calling launch('<its name>'); see README "Start-up".

export interface Entry {
  main: (argv: string[]) => Promise<void>;
}

export const ENTRIES: Record<string, () => Promise<Entry>> = {
  tsctr: () => import('./cli/main.js'),
  'tsctr-runc': () => import('./cli-runc/main.js'),
};
