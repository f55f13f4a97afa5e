/**
 * Multipart part sizes. lib-storage holds each part in memory while it is sent, up to its queue
 * size per upload, and uploadBlock sends two chunk segments at once: the parts in flight take
 * about MAX_PART_SIZE × 2 × 2 = 64 MiB at most, which leaves room under the chart's 512Mi limit
 * for building the block. Thanos' `part_size` (Kubecost documents 128 MiB, over 512 MiB in flight)
 * is lowered to this cap with a warning. 16 MiB parts put a 512 MiB segment in 32 parts, far
 * below S3's limit of 10,000. Parts are this cap unless a smaller size is asked for.
 */
export const MIN_PART_SIZE_BYTES = 5 * 1024 * 1024;
export const MAX_PART_SIZE_BYTES = 16 * 1024 * 1024;
