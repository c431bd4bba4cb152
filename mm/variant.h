/*
 * mm/variant.h - the designs under test (variant KEY=VALUE)
 *
 * The default of every key (value 0) is the modern (Linux 7.0) design.
 * Each other value is a design from the seed threads or the kernel's
 * history; the model consults it at exactly one place, marked with a
 * comment naming the seed mail.  The table is SCENARIOS.md's.
 */
#ifndef RMAPLAB_MM_VARIANT_H
#define RMAPLAB_MM_VARIANT_H

enum vm_variant_key {
	VAR_ANON_WALK,		/* oldest_first | newest_first            (seed 001) */
	VAR_FILE_WALK,		/* oldest_first | newest_first            (seed 000) */
	VAR_MREMAP_RMAP_LOCKS,	/* when_needed | always | never           (seeds 000, 001) */
	VAR_TRUNCATE_UNMAP,	/* twice | once                           (seed 000) */
	VAR_FAULT_RECHECK,	/* on | off                               (seed 003) */
	VAR_EXEC_STACK_MIGRATE,	/* skip | anon_vma_lock | unprotected     (seed 004) */
	VAR_MOVE_FAIL,		/* rollback | none                        (seed 004) */
	VAR_COW_REUSE,		/* exclusive | swapcount | trylock        (seed 002) */
	VAR_FORK_PINNED,	/* copy | share                           (seed 002) */
	VAR_NR_KEYS
};

/* Values, per key, in table order (0 is the default). */
enum { WALK_OLDEST_FIRST, WALK_NEWEST_FIRST };
enum { RMAP_LOCKS_WHEN_NEEDED, RMAP_LOCKS_ALWAYS, RMAP_LOCKS_NEVER };
enum { TRUNCATE_UNMAP_TWICE, TRUNCATE_UNMAP_ONCE };
enum { FAULT_RECHECK_ON, FAULT_RECHECK_OFF };
enum { EXEC_STACK_SKIP, EXEC_STACK_ANON_VMA_LOCK, EXEC_STACK_UNPROTECTED };
enum { MOVE_FAIL_ROLLBACK, MOVE_FAIL_NONE };
enum { COW_REUSE_EXCLUSIVE, COW_REUSE_SWAPCOUNT, COW_REUSE_TRYLOCK };
enum { FORK_PINNED_COPY, FORK_PINNED_SHARE };

#define VM_VARIANT_MAX_VALUES 4

struct vm_variant_desc {
	const char *key;
	const char *values[VM_VARIANT_MAX_VALUES];	/* NULL-terminated; [0] is the default */
	const char *what;				/* one line, for --help and errors */
	const char *seed;				/* "000", "001", ... */
};

extern const struct vm_variant_desc vm_variant_table[VAR_NR_KEYS];

/* A full assignment: one value index per key. */
struct vm_variants {
	int value[VAR_NR_KEYS];
};

/* Lookups for the parser and the command line; -1 when unknown. */
int vm_variant_key_from_name(const char *key);
int vm_variant_value_from_name(int key, const char *value);
int vm_variant_nr_values(int key);

/* "oldest_first, newest_first": the valid values of @key, for messages. */
void vm_variant_values_list(int key, char *buf, unsigned long size);

#endif /* RMAPLAB_MM_VARIANT_H */
