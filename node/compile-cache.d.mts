/** Enables Node's module compile cache for modules loaded from now on; the folder used, or null if none. */
export function enableModuleCache(): string | null
