import type {EvalRunRecord} from "./EvalRunRecord";

export type LatestRecords = {
    /** One record per item key, in eval-set order (by index, then key). */
    records: EvalRunRecord[],
    /** Records replaced by a later one for the same item. */
    supersededCount: number
};

/**
 * One record per item: the last one in the file wins. A run file is appended to as items finish, so an item that
 * appears twice (an overlapping shard merge, a retried failure) was last written by its newest attempt. The result
 * is sorted because the file's order is the order items happened to finish in, and neither a report's rows nor its
 * seeded bootstrap should depend on that.
 */
export function latestRecordPerItem(records: readonly EvalRunRecord[]): LatestRecords {
    const byKey = new Map<string, EvalRunRecord>();
    for (const record of records) byKey.set(record.itemKey, record);
    const latest = [...byKey.values()].sort((left, right) =>
        left.index - right.index || (left.itemKey < right.itemKey ? -1 : left.itemKey > right.itemKey ? 1 : 0));
    return {records: latest, supersededCount: records.length - latest.length};
}
