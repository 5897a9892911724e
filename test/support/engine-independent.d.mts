export declare const ENGINE_INDEPENDENT_MARK: string;
export declare function isEngineIndependent(path: string): boolean;
