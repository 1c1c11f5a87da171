/** The ggml tensor types our generator writes, with their on-disk block layout (ggml.h, ggml-common.h). */
export const GgmlType = {
    F32: 0,
    F16: 1,
    Q4_0: 2,
    Q8_0: 8
} as const;
export type GgmlType = (typeof GgmlType)[keyof typeof GgmlType];
export type GgmlTypeName = keyof typeof GgmlType;

type BlockLayout = {elementsPerBlock: number, bytesPerBlock: number};

const blockLayouts: Record<GgmlType, BlockLayout> = {
    [GgmlType.F32]: {elementsPerBlock: 1, bytesPerBlock: 4},
    [GgmlType.F16]: {elementsPerBlock: 1, bytesPerBlock: 2},
    [GgmlType.Q4_0]: {elementsPerBlock: 32, bytesPerBlock: 2 + 16},
    [GgmlType.Q8_0]: {elementsPerBlock: 32, bytesPerBlock: 2 + 32}
};

export function getBlockLayout(type: GgmlType): BlockLayout {
    return blockLayouts[type];
}

/** Bytes one row of `rowElements` elements takes; a quantized row must be a whole number of blocks. */
export function rowByteSize(type: GgmlType, rowElements: number): number {
    const {elementsPerBlock, bytesPerBlock} = blockLayouts[type];
    if (rowElements % elementsPerBlock !== 0)
        throw new RangeError(`a row of ${rowElements} elements is not a whole number of ${elementsPerBlock}-element blocks`);

    return (rowElements / elementsPerBlock) * bytesPerBlock;
}

/** ggml's file_type numbers (llama.h `llama_ftype`) for a model whose big matrices are all of one type. */
export function fileTypeFor(type: GgmlType): number {
    switch (type) {
        case GgmlType.F32: return 0;
        case GgmlType.F16: return 1;
        case GgmlType.Q4_0: return 2;
        case GgmlType.Q8_0: return 7;
    }
}
