/**
 * The peers smbprobe is checked against in the live suite — nmap (nbstat, smb-protocols,
 * smb2-security-mode), nbtscan and nmblookup — and small pure parsers of their output.
 * Samples of each tool's real output, captured in the lab, live in test/live/samples/.
 */

/** One name-table entry as a peer shows it. */
export interface PeerName {
  /** The name with trailing spaces removed; bytes as the peer printed them (see each parser). */
  name: string;
  suffix: number;
  group: boolean;
  /** Only nmblookup prints the node type and the state flags. */
  nodeType?: 'B' | 'P' | 'M' | 'H';
  active?: boolean;
  permanent?: boolean;
  conflict?: boolean;
  deregistering?: boolean;
}

export interface PeerSigning {
  enabled: boolean;
  required: boolean;
}

export interface NmapPort {
  protocol: 'tcp' | 'udp';
  port: number;
  /** `open`, `closed`, `filtered`, `open|filtered`. */
  state: string;
  /** `syn-ack`, `reset`, `udp-response`, `port-unreach`, `no-response` ... */
  reason: string;
}

export interface NmapNbstat {
  netbiosName: string | null;
  user: string | null;
  /** `aa:bb:cc:dd:ee:ff` (lower case), or null. */
  mac: string | null;
  names: PeerName[];
}

export interface NmapHost {
  address: string;
  ports: NmapPort[];
  /** Raw `output` attribute of each host script, by script id. */
  scripts: Record<string, string>;
  /** smb-protocols' dialects in smbprobe's spelling (`NT LM 0.12`, `2.0.2` ...); null without the script. */
  dialects: string[] | null;
  /** smb2-security-mode, per dialect key (smbprobe spelling), e.g. `{"3.1.1": {enabled, required}}`. */
  signing: Record<string, PeerSigning> | null;
  nbstat: NmapNbstat | null;
}

/** nmap's command line for the live comparison (XML to stdout). */
export function nmapArgs(address: string): string[] {
  return ['-n', '-Pn', '-sS', '-sU', '-p', 'U:137,T:139,445',
    '--script', 'nbstat,smb-protocols,smb2-security-mode', '-oX', '-', address];
}

/** nbtscan's command line: verbose, script-friendly separator. */
export function nbtscanArgs(address: string): string[] {
  return ['-v', '-s', ':', address];
}

/** nmblookup's command line: node status of an address. */
export function nmblookupArgs(address: string, smbConf: string): string[] {
  return ['-s', smbConf, '-A', address];
}

// ---------------------------------------------------------------- helpers

const XML_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decode the five XML entities and numeric character references. */
export function xmlUnescape(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (m, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return XML_ENTITIES[e] ?? m;
  });
}

function attrs(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([\w:-]+)="([^"]*)"/g)) out[m[1]!] = xmlUnescape(m[2]!);
  return out;
}

/** nmap prints non-printable name bytes as `\xHH`: turn them back into the bytes. */
export function unescapeHexBytes(s: string): string {
  return s.replace(/\\x([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** A name the way nmblookup prints it: every byte outside 0x20-0x7E becomes `.`. */
export function printableName(name: string): string {
  return name.replace(/[^\x20-\x7e]/g, '.');
}

/** `000000000000`, `00-00-00-00-00-00`, `00:00:...` → `00:00:00:00:00:00` (lower case); null if not a MAC. */
export function normalizeMac(s: string): string | null {
  const hex = s.replace(/[-:.\s]/g, '').toLowerCase();
  if (!/^[0-9a-f]{12}$/.test(hex)) return null;
  return hex.match(/../g)!.join(':');
}

/**
 * nmap's dialect spelling → smbprobe's. nmap 7.93 writes `202`, `210`, `300`, `302`, `311`; later
 * versions `2:0:2`, `2:1:0`, `3:0:0`, `3:0:2`, `3:1:1`; SMB1 is `NT LM 0.12 (SMBv1) [dangerous, but default]`.
 */
export function normalizeNmapDialect(s: string): string {
  const t = s.trim();
  if (/^NT LM 0\.12\b/.test(t)) return 'NT LM 0.12';
  const digits = t.replace(/[:.]/g, '');
  const known: Record<string, string> = { '202': '2.0.2', '210': '2.1', '300': '3.0', '302': '3.0.2', '311': '3.1.1' };
  return known[digits] ?? t;
}

/** smb2-security-mode's sentence → signing flags. */
export function parseSigningSentence(s: string): PeerSigning | null {
  const t = s.trim().toLowerCase();
  if (t.includes('enabled and required')) return { enabled: true, required: true };
  if (t.includes('enabled but not required')) return { enabled: true, required: false };
  if (t.includes('disabled') || t.includes('not enabled')) return { enabled: false, required: false };
  return null;
}

// ---------------------------------------------------------------- nmap

function scriptTables(body: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of body.matchAll(/<table key="([^"]*)">([\s\S]*?)<\/table>/g)) {
    out.set(xmlUnescape(m[1]!), [...m[2]!.matchAll(/<elem>([\s\S]*?)<\/elem>/g)].map((e) => xmlUnescape(e[1]!)));
  }
  return out;
}

/** nmap's nbstat script output → names and MAC. */
export function parseNmapNbstat(output: string): NmapNbstat {
  const first = /NetBIOS name: ([^,]*), NetBIOS user: ([^,]*), NetBIOS MAC: ([0-9a-fA-F:]+|<unknown>)/.exec(output);
  const names: PeerName[] = [];
  for (const line of output.split('\n')) {
    const m = /^\s+(.*?)<([0-9a-fA-F]{2})>\s+Flags: (.*)$/.exec(line);
    if (!m) continue;
    names.push({ name: unescapeHexBytes(m[1]!).replace(/ +$/, ''), suffix: parseInt(m[2]!, 16), group: /<group>/.test(m[3]!) });
  }
  const unk = (v: string | undefined) => (v === undefined || v === '<unknown>' ? null : v);
  return {
    netbiosName: unk(first?.[1]),
    user: unk(first?.[2]),
    mac: first?.[3] ? normalizeMac(first[3]) : null,
    names,
  };
}

/** nmap's `-oX` output → one entry per host. */
export function parseNmapXml(xml: string): NmapHost[] {
  const hosts: NmapHost[] = [];
  for (const hm of xml.matchAll(/<host[\s>][\s\S]*?<\/host>/g)) {
    const h = hm[0];
    const addrTag = /<address [^>]*addrtype="ipv[46]"[^>]*\/>/.exec(h);
    const address = addrTag ? (attrs(addrTag[0])['addr'] ?? '') : '';
    const ports: NmapPort[] = [];
    for (const pm of h.matchAll(/<port (protocol="[^"]*" portid="[^"]*")>([\s\S]*?)<\/port>/g)) {
      const pa = attrs(pm[1]!);
      const st = /<state [^>]*\/>/.exec(pm[2]!);
      const sa = st ? attrs(st[0]) : {};
      ports.push({
        protocol: pa['protocol'] === 'udp' ? 'udp' : 'tcp',
        port: Number(pa['portid']),
        state: sa['state'] ?? '',
        reason: sa['reason'] ?? '',
      });
    }
    const scripts: Record<string, string> = {};
    const tables: Record<string, Map<string, string[]>> = {};
    const hs = /<hostscript>([\s\S]*?)<\/hostscript>/.exec(h);
    if (hs) {
      // <script id=".." output=".."/> or <script id=".." output="..">tables</script>
      for (const sm of hs[1]!.matchAll(/<script ([^>]*?)(\/>|>([\s\S]*?)<\/script>)/g)) {
        const sa = attrs(sm[1]!);
        const id = sa['id'];
        if (!id) continue;
        scripts[id] = sa['output'] ?? '';
        tables[id] = scriptTables(sm[3] ?? '');
      }
    }
    let dialects: string[] | null = null;
    if ('smb-protocols' in scripts) {
      const t = tables['smb-protocols']?.get('dialects');
      dialects = (t ?? scripts['smb-protocols']!.split('\n').slice(2).filter((l) => l.trim() !== ''))
        .map(normalizeNmapDialect);
    }
    let signing: Record<string, PeerSigning> | null = null;
    if ('smb2-security-mode' in scripts) {
      signing = {};
      for (const [k, elems] of tables['smb2-security-mode'] ?? new Map<string, string[]>()) {
        const s = elems.map(parseSigningSentence).find((x) => x !== null);
        if (s) signing[normalizeNmapDialect(k)] = s;
      }
    }
    hosts.push({
      address,
      ports,
      scripts,
      dialects,
      signing,
      nbstat: 'nbstat' in scripts ? parseNmapNbstat(scripts['nbstat']!) : null,
    });
  }
  return hosts;
}

// ---------------------------------------------------------------- nbtscan

export interface NbtscanHost {
  address: string;
  names: PeerName[];
  mac: string | null;
}

/**
 * `nbtscan -v -s SEP` output (one line per name: `ADDR SEP NAME SEP SUFFIX U|G`, then `ADDR SEP MAC SEP mac`)
 * or plain `nbtscan -v` output (a table per host). Read the tool's stdout as latin1: nbtscan prints
 * the name bytes raw (`\x01\x02__MSBROWSE__\x02`).
 */
export function parseNbtscan(text: string, sep = ':'): NbtscanHost[] {
  const byAddr = new Map<string, NbtscanHost>();
  const get = (a: string) => {
    let h = byAddr.get(a);
    if (!h) byAddr.set(a, (h = { address: a, names: [], mac: null }));
    return h;
  };
  if (text.includes('NetBIOS Name Table for Host')) {
    let cur: NbtscanHost | null = null;
    for (const line of text.split('\n')) {
      const hm = /^NetBIOS Name Table for Host (\S+?):?$/.exec(line);
      if (hm) { cur = get(hm[1]!); continue; }
      if (!cur) continue;
      const nm = /^(.{1,16}?)\s*<([0-9a-fA-F]{2})>\s+(UNIQUE|GROUP)\s*$/.exec(line);
      if (nm) { cur.names.push({ name: nm[1]!.replace(/ +$/, ''), suffix: parseInt(nm[2]!, 16), group: nm[3] === 'GROUP' }); continue; }
      const mm = /^Adapter address: (\S+)/.exec(line);
      if (mm) cur.mac = normalizeMac(mm[1]!);
    }
    return [...byAddr.values()];
  }
  for (const line of text.split('\n')) {
    const i = line.indexOf(sep);
    if (i <= 0) continue;
    const addr = line.slice(0, i);
    const rest = line.slice(i + sep.length);
    if (rest.startsWith(`MAC${sep}`)) { get(addr).mac = normalizeMac(rest.slice(4)); continue; }
    const j = rest.lastIndexOf(sep);
    if (j < 0) continue;
    const m = /^([0-9a-fA-F]{2})([UG])$/.exec(rest.slice(j + sep.length).trim());
    if (!m) continue;
    get(addr).names.push({ name: rest.slice(0, j).replace(/ +$/, ''), suffix: parseInt(m[1]!, 16), group: m[2] === 'G' });
  }
  return [...byAddr.values()];
}

// ---------------------------------------------------------------- nmblookup

export interface NmblookupResult {
  address: string | null;
  /** False on "No reply from ...". */
  reply: boolean;
  /** Names as nmblookup prints them (non-printable bytes as `.`, see printableName). */
  names: PeerName[];
  mac: string | null;
}

/** `nmblookup -A ADDR` output. */
export function parseNmblookup(text: string): NmblookupResult {
  const addr = /Looking up status of (\S+)/.exec(text)?.[1] ?? null;
  const names: PeerName[] = [];
  for (const line of text.split('\n')) {
    const m = /^\t(.*?)\s*<([0-9a-fA-F]{2})> - (<GROUP>)?\s*([BPMH]) (.*)$/.exec(line);
    if (!m) continue;
    const fl = m[5]!;
    names.push({
      name: m[1]!,
      suffix: parseInt(m[2]!, 16),
      group: m[3] !== undefined,
      nodeType: m[4] as PeerName['nodeType'],
      active: fl.includes('<ACTIVE>'),
      permanent: fl.includes('<PERMANENT>'),
      conflict: fl.includes('<CONFLICT>'),
      deregistering: fl.includes('<DEREGISTERING>'),
    });
  }
  const mac = /MAC Address = (\S+)/.exec(text)?.[1];
  return {
    address: addr,
    reply: !/No reply from/.test(text) && names.length > 0,
    names,
    mac: mac ? normalizeMac(mac) : null,
  };
}

/** A name table reduced to comparable strings `NAME<xx>/G|U`, sorted; `view` maps names first. */
export function nameKeys(names: ReadonlyArray<Pick<PeerName, 'name' | 'suffix' | 'group'>>, view: (n: string) => string = (n) => n): string[] {
  return names
    .map((n) => `${view(n.name)}<${n.suffix.toString(16).padStart(2, '0')}>/${n.group ? 'G' : 'U'}`)
    .sort();
}
