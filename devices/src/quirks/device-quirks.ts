import type { InquiryData, SupportedOperation } from '../scsi/spc.js';

/**
 * Deviations from SPC/SSC/SMC that tapir works around, switched on per device by what it reports about itself.
 *
 * @remarks
 * Every workaround in the device layer reads one of these flags; no workaround is applied to a device that does not
 * need it. Add a flag (and the device that needs it) here rather than special-casing a vendor elsewhere.
 */
export interface DeviceQuirks {
  /** The profile's name, `none` for a standards-following device. */
  readonly name: string;
  /**
   * READ ELEMENT STATUS transfers 8 bytes less than the byte count it reports, so the last descriptor arrives cut
   * short (tgt ≤ 1.0.97, `smc.c:399`). The parser zero-fills the missing tail.
   */
  readonly elementStatusShortTransfer: boolean;
  /** The RES header's first-element-address is wrong (tgt); take addresses from the descriptors. */
  readonly elementStatusFirstAddressWrong: boolean;
  /** Device identifiers (DVCID) of drive elements may be truncated (tgt: the last drive's serial), so never map by them. */
  readonly deviceIdUnreliable: boolean;
  /**
   * A variable-mode READ of a block shorter than the request transfers (request − block) bytes (tgt < 1.0.94, fixed
   * upstream by c7011f2), so a block longer than half the request arrives truncated. The drive reads with the
   * caller's size first and re-reads a truncated block with a request of twice that size.
   */
  readonly variableReadNeedsDoubleRequest: boolean;
  /**
   * LOAD UNLOAD is handled as START STOP UNIT, so a standard load or unload does nothing (tgt `spc.c:424`);
   * the changer's MOVE MEDIUM loads and unloads by itself.
   */
  readonly loadUnloadIgnored: boolean;
  /** READ POSITION answers with zeros / "unknown" (tgt): position is tracked in software only. */
  readonly readPositionUseless: boolean;
  /** A CHECK CONDITION on READ may come with junk Data-In (tgt 1.0.85); never use data from a failed read. */
  readonly junkDataOnCheckCondition: boolean;
  /** No UNIT ATTENTION follows a load; poll TEST UNIT READY (tgt). */
  readonly noUnitAttentionOnLoad: boolean;
  /**
   * SPACE backwards over filemarks stops one block short: before the last block ahead of the filemark instead of
   * right before the filemark (tgt 1.0.85, seen live). One SPACE forward over one block corrects it.
   */
  readonly reverseFilemarkSpaceOneBlockShort: boolean;
  /**
   * SPACE over blocks counts filemarks as blocks and passes them without a FILEMARK condition (tgt 1.0.85, seen live),
   * so block spacing cannot tell that it left the file.
   */
  readonly blockSpaceCrossesFilemarks: boolean;
}

/** A device that follows the standards: no workarounds. */
export const NO_QUIRKS: DeviceQuirks = Object.freeze({
  name: 'none',
  elementStatusShortTransfer: false,
  elementStatusFirstAddressWrong: false,
  deviceIdUnreliable: false,
  variableReadNeedsDoubleRequest: false,
  loadUnloadIgnored: false,
  readPositionUseless: false,
  junkDataOnCheckCondition: false,
  noUnitAttentionOnLoad: false,
  reverseFilemarkSpaceOneBlockShort: false,
  blockSpaceCrossesFilemarks: false,
});

/** The Linux SCSI target framework's (tgt, vendor `IET`) virtual tape library, as of Debian's 1.0.85. */
export const TGT_QUIRKS: DeviceQuirks = Object.freeze({
  name: 'tgt',
  elementStatusShortTransfer: true,
  elementStatusFirstAddressWrong: true,
  deviceIdUnreliable: true,
  variableReadNeedsDoubleRequest: true,
  loadUnloadIgnored: true,
  readPositionUseless: true,
  junkDataOnCheckCondition: true,
  noUnitAttentionOnLoad: true,
  reverseFilemarkSpaceOneBlockShort: true,
  blockSpaceCrossesFilemarks: true,
});

/**
 * Chooses the quirk profile for a device from its INQUIRY data (and, when known, its supported operation codes).
 *
 * @remarks
 * tgt identifies as vendor `IET` with products `VIRTUAL-TAPE` and `VIRTUAL-CHANGER`. Its revision is always `0001`,
 * so the version-dependent READ residual bug cannot be told apart; the double-sized request is harmless on fixed
 * versions.
 */
export function detectQuirks(
  inquiry: Pick<InquiryData, 'vendor' | 'product'>,
  _supported?: readonly SupportedOperation[],
): DeviceQuirks {
  if (inquiry.vendor === 'IET' && inquiry.product.startsWith('VIRTUAL-')) return TGT_QUIRKS;
  return NO_QUIRKS;
}

/** Optional commands a device may lack, probed with REPORT SUPPORTED OPERATION CODES. */
export interface DeviceCapabilities {
  readonly locate: boolean;
  readonly erase: boolean;
  readonly readPosition: boolean;
  readonly modeSelect: boolean;
  readonly moveMedium: boolean;
}

/**
 * Which optional commands a device supports. Without a supported-opcodes list every command is assumed present,
 * and a READ POSITION that a quirk says is useless counts as absent.
 */
export function detectCapabilities(
  supported: readonly SupportedOperation[] | undefined,
  quirks: DeviceQuirks,
): DeviceCapabilities {
  const has = (op: number): boolean => !supported || supported.some((s) => s.opcode === op);
  return {
    locate: has(0x2b) || has(0x92),
    erase: has(0x19),
    readPosition: has(0x34) && !quirks.readPositionUseless,
    modeSelect: has(0x15),
    moveMedium: has(0xa5),
  };
}
