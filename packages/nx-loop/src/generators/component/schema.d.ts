export interface ComponentGeneratorSchema {
  name: string;
  language?: 'rust' | 'js' | 'ts';
  world?: 'plugin' | 'core' | 'app';
  directory?: string;
}
