export interface HostGeneratorSchema {
  name: string;
  template?: string;
  app?: string;
  directory?: string;
}
