/**
 * Windows releases by build: the table the fingerprint engine maps NTLM versions and SMB1 NativeOS
 * strings onto. Maintained by hand; add a row when Microsoft ships a release.
 *
 * Sources (Microsoft's release information pages):
 * - Windows 10: https://learn.microsoft.com/en-us/windows/release-health/release-information
 * - Windows 11: https://learn.microsoft.com/en-us/windows/release-health/windows11-release-information
 * - Windows Server: https://learn.microsoft.com/en-us/windows/release-health/windows-server-release-info
 * - Windows Server 2025: https://learn.microsoft.com/en-us/windows-server/get-started/windows-server-release-info
 * - older releases (NT 5.x, 6.x): https://learn.microsoft.com/en-us/windows/win32/sysinfo/operating-system-version
 *   and the "Windows lifecycle" fact sheets (service pack build numbers: 6.0.6001 = Vista SP1 / Server
 *   2008 RTM, 6.0.6002 = SP2, 6.1.7601 = 7 / 2008 R2 SP1).
 *
 * `ntlmBuild`: Releases shipped as an "enablement package" on top of an earlier release (Windows 10
 * 1909 on 1903, 20H2..22H2 on 2004, Windows 11 23H2 on 22H2, 25H2 on 24H2) run the binaries of the
 * base release, and the NTLMSSP CHALLENGE's Version field carries the build those binaries were
 * compiled with: the base build. Measured: a Windows 10 host whose SMB1 NativeOS says
 * "Windows 10 Pro 19045" (22H2) answers NTLM version 10.0.19041 (third-party corpus,
 * suricata-verify smb_bug_padding.pcap). The NativeOS string carries the installed build.
 */

export type WindowsKind = 'client' | 'server';

/** One Windows release with the build numbers that identify it. */
export interface WindowsRelease {
  /** Stable id: `win10-1809`, `server-2019`, `server-sac-1709` ... */
  id: string;
  /** `Windows 10`, `Windows Server 2019`, `Windows Server` (semi-annual channel) ... */
  product: string;
  /** Feature-update version (`1809`, `22H2`) or service pack (`SP1`); null when none. */
  version: string | null;
  /** `major.minor.build` of the installed release. */
  build: string;
  /** The build an NTLM CHALLENGE Version reports (the base build for enablement packages). */
  ntlmBuild: string;
  kind: WindowsKind;
}

type Row = [id: string, product: string, version: string | null, build: string, kind: WindowsKind, ntlmBuild?: string];

const ROWS: readonly Row[] = [
  ['win2000', 'Windows 2000', null, '5.0.2195', 'client'],
  ['winxp', 'Windows XP', null, '5.1.2600', 'client'],
  ['server-2003', 'Windows Server 2003', null, '5.2.3790', 'server'],
  ['winxp-x64', 'Windows XP x64', null, '5.2.3790', 'client'],
  ['vista', 'Windows Vista', null, '6.0.6000', 'client'],
  ['vista-sp1', 'Windows Vista', 'SP1', '6.0.6001', 'client'],
  ['server-2008', 'Windows Server 2008', null, '6.0.6001', 'server'],
  ['vista-sp2', 'Windows Vista', 'SP2', '6.0.6002', 'client'],
  ['server-2008-sp2', 'Windows Server 2008', 'SP2', '6.0.6002', 'server'],
  ['win7', 'Windows 7', null, '6.1.7600', 'client'],
  ['server-2008r2', 'Windows Server 2008 R2', null, '6.1.7600', 'server'],
  ['win7-sp1', 'Windows 7', 'SP1', '6.1.7601', 'client'],
  ['server-2008r2-sp1', 'Windows Server 2008 R2', 'SP1', '6.1.7601', 'server'],
  ['win8', 'Windows 8', null, '6.2.9200', 'client'],
  ['server-2012', 'Windows Server 2012', null, '6.2.9200', 'server'],
  ['win81', 'Windows 8.1', null, '6.3.9600', 'client'],
  ['server-2012r2', 'Windows Server 2012 R2', null, '6.3.9600', 'server'],
  ['win10-1507', 'Windows 10', '1507', '10.0.10240', 'client'],
  ['win10-1511', 'Windows 10', '1511', '10.0.10586', 'client'],
  ['win10-1607', 'Windows 10', '1607', '10.0.14393', 'client'],
  ['server-2016', 'Windows Server 2016', '1607', '10.0.14393', 'server'],
  ['win10-1703', 'Windows 10', '1703', '10.0.15063', 'client'],
  ['win10-1709', 'Windows 10', '1709', '10.0.16299', 'client'],
  ['server-sac-1709', 'Windows Server', '1709', '10.0.16299', 'server'],
  ['win10-1803', 'Windows 10', '1803', '10.0.17134', 'client'],
  ['server-sac-1803', 'Windows Server', '1803', '10.0.17134', 'server'],
  ['win10-1809', 'Windows 10', '1809', '10.0.17763', 'client'],
  ['server-2019', 'Windows Server 2019', '1809', '10.0.17763', 'server'],
  ['win10-1903', 'Windows 10', '1903', '10.0.18362', 'client'],
  ['server-sac-1903', 'Windows Server', '1903', '10.0.18362', 'server'],
  ['win10-1909', 'Windows 10', '1909', '10.0.18363', 'client', '10.0.18362'],
  ['server-sac-1909', 'Windows Server', '1909', '10.0.18363', 'server', '10.0.18362'],
  ['win10-2004', 'Windows 10', '2004', '10.0.19041', 'client'],
  ['server-sac-2004', 'Windows Server', '2004', '10.0.19041', 'server'],
  ['win10-20h2', 'Windows 10', '20H2', '10.0.19042', 'client', '10.0.19041'],
  // assumed serviced like the client release of the same version (enablement package on 2004)
  ['server-sac-20h2', 'Windows Server', '20H2', '10.0.19042', 'server', '10.0.19041'],
  ['win10-21h1', 'Windows 10', '21H1', '10.0.19043', 'client', '10.0.19041'],
  ['win10-21h2', 'Windows 10', '21H2', '10.0.19044', 'client', '10.0.19041'],
  ['win10-22h2', 'Windows 10', '22H2', '10.0.19045', 'client', '10.0.19041'],
  ['server-2022', 'Windows Server 2022', '21H2', '10.0.20348', 'server'],
  ['win11-21h2', 'Windows 11', '21H2', '10.0.22000', 'client'],
  ['win11-22h2', 'Windows 11', '22H2', '10.0.22621', 'client'],
  ['win11-23h2', 'Windows 11', '23H2', '10.0.22631', 'client', '10.0.22621'],
  ['server-sac-23h2', 'Windows Server', '23H2', '10.0.25398', 'server'],
  ['win11-24h2', 'Windows 11', '24H2', '10.0.26100', 'client'],
  ['server-2025', 'Windows Server 2025', '24H2', '10.0.26100', 'server'],
  ['win11-25h2', 'Windows 11', '25H2', '10.0.26200', 'client', '10.0.26100'],
];

/** Every release, oldest first (client before server for a shared build). */
export const WINDOWS_RELEASES: readonly WindowsRelease[] = Object.freeze(
  ROWS.map(([id, product, version, build, kind, ntlmBuild]) =>
    Object.freeze({ id, product, version, build, ntlmBuild: ntlmBuild ?? build, kind }),
  ),
);

/** `major.minor` of a `major.minor.build` string. */
export function ntVersionOf(build: string): string {
  const [a, b] = build.split('.');
  return `${a ?? ''}.${b ?? ''}`;
}

/** The build number (third part) of a `major.minor.build` string, or NaN. */
export function buildNumberOf(build: string): number {
  const n = build.split('.')[2];
  return n === undefined || !/^\d+$/.test(n) ? Number.NaN : Number(n);
}

/** Releases an NTLM CHALLENGE Version `major.minor.build` can come from (empty when unknown). */
export function releasesByNtlmVersion(osVersion: string): WindowsRelease[] {
  return WINDOWS_RELEASES.filter((r) => r.ntlmBuild === osVersion);
}

/** Releases whose installed build number is `n` (as an SMB1 NativeOS string carries it). */
export function releasesByBuildNumber(n: number): WindowsRelease[] {
  return WINDOWS_RELEASES.filter((r) => buildNumberOf(r.build) === n);
}

/** Releases of one NT version (`6.1`, `10.0`). */
export function releasesByNtVersion(ntVersion: string): WindowsRelease[] {
  return WINDOWS_RELEASES.filter((r) => ntVersionOf(r.build) === ntVersion);
}
