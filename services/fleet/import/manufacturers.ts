/**
 * Manufacturer codes as the RSI hangar shows them (and HangarXPLOR's CSV export writes
 * them) → the manufacturer's name. A code not listed is kept as written.
 */
const BY_CODE: Readonly<Record<string, string>> = {
  AEGS: 'Aegis Dynamics',
  ANVL: 'Anvil Aerospace',
  AOPOA: "Xi'an Aopoa",
  ARGO: 'ARGO Astronautics',
  BANU: 'Banu Souli',
  CNOU: 'Consolidated Outland',
  CRSD: 'Crusader Industries',
  DRAK: 'Drake Interplanetary',
  ESPR: 'Esperia',
  ESPERIA: 'Esperia',
  GAMA: 'Gatac Manufacture',
  GATC: 'Gatac Manufacture',
  GRIN: 'Greycat Industrial',
  KRGR: 'Kruger Intergalactic',
  MISC: 'Musashi Industrial & Starflight Concern',
  MRAI: 'Mirai',
  ORIG: 'Origin Jumpworks',
  RSI: 'Roberts Space Industries',
  TMBL: 'Tumbril Land Systems',
  VANDUUL: 'Vanduul',
  VNCL: 'Vanduul',
  XIAN: "Xi'an Aopoa",
  XNAA: "Xi'an Aopoa",
}

/** The manufacturer's name for a code (any case), else the text as given. */
export function manufacturerName(codeOrName: string): string {
  return BY_CODE[codeOrName.toUpperCase()] ?? codeOrName
}
