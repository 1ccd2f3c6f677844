import type { SettingSpec, Settings } from '../../output.ts';

/**
 * Typed reads of an output's parsed settings, each falling back to its spec's default, so a
 * partner's mapping reads `flag('allow_unset_user_attributes')` and the default is written once,
 * in the spec `GET /v1/services` lists.
 */
export interface SettingValues {
  text(name: string): string | undefined;
  flag(name: string): boolean;
  whole(name: string): number;
  choice<T extends string>(name: string, options: readonly T[]): T;
}

export function settingValues(specs: readonly SettingSpec[], settings: Settings): SettingValues {
  const specOf = (name: string): SettingSpec => {
    const spec = specs.find((s) => s.name === name);
    if (!spec) throw new Error(`no setting ${name}`);
    return spec;
  };
  const valueOf = (name: string) => settings[name] ?? specOf(name).default;
  return {
    text: (name) => {
      const v = valueOf(name);
      return typeof v === 'string' && v !== '' ? v : undefined;
    },
    flag: (name) => valueOf(name) === true,
    whole: (name) => {
      const v = valueOf(name);
      return typeof v === 'number' ? v : 0;
    },
    choice: <T extends string>(name: string, options: readonly T[]): T => {
      const v = valueOf(name);
      if (typeof v === 'string' && (options as readonly string[]).includes(v)) return v as T;
      throw new Error(`setting ${name} is ${JSON.stringify(v)}, not one of ${options.join(', ')}`);
    },
  };
}
