/*
 * mm/variant.c - the variant table (SCENARIOS.md, "Variants")
 */
#include <stdio.h>
#include <string.h>

#include "mm/variant.h"

const struct vm_variant_desc vm_variant_table[VAR_NR_KEYS] = {
	[VAR_ANON_WALK] = { "anon_walk", { "oldest_first", "newest_first" },
		"order in which rmap walks visit AVCs with equal start pgoff", "001" },
	[VAR_FILE_WALK] = { "file_walk", { "oldest_first", "newest_first" },
		"order in which rmap walks visit i_mmap VMAs with equal start pgoff", "000" },
	[VAR_MREMAP_RMAP_LOCKS] = { "mremap_rmap_locks", { "when_needed", "always", "never" },
		"whether move_ptes takes i_mmap_rwsem and the anon_vma lock", "000, 001" },
	[VAR_TRUNCATE_UNMAP] = { "truncate_unmap", { "twice", "once" },
		"unmap_mapping_range before and after truncate_inode_pages, or only before", "000" },
	[VAR_FAULT_RECHECK] = { "fault_recheck", { "on", "off" },
		"the fault path rechecks folio->mapping and i_size under the folio lock", "003" },
	[VAR_EXEC_STACK_MIGRATE] = { "exec_stack_migrate", { "skip", "anon_vma_lock", "unprotected" },
		"how migration is kept off exec's temporary stack", "004" },
	[VAR_MOVE_FAIL] = { "move_fail", { "rollback", "none" },
		"whether a failed move_page_tables in mremap moves the ptes back", "004" },
	[VAR_COW_REUSE] = { "cow_reuse", { "exclusive", "swapcount", "trylock" },
		"how do_wp_page decides to reuse an anon page", "002" },
	[VAR_FORK_PINNED] = { "fork_pinned", { "copy", "share" },
		"fork copies a possibly pinned exclusive page, or shares it", "002" },
};

int vm_variant_key_from_name(const char *key)
{
	for (int k = 0; k < VAR_NR_KEYS; k++)
		if (!strcmp(vm_variant_table[k].key, key))
			return k;
	return -1;
}

int vm_variant_nr_values(int key)
{
	int n = 0;

	while (n < VM_VARIANT_MAX_VALUES && vm_variant_table[key].values[n])
		n++;
	return n;
}

int vm_variant_value_from_name(int key, const char *value)
{
	for (int v = 0; v < vm_variant_nr_values(key); v++)
		if (!strcmp(vm_variant_table[key].values[v], value))
			return v;
	return -1;
}

void vm_variant_values_list(int key, char *buf, unsigned long size)
{
	unsigned long used = 0;

	buf[0] = '\0';
	for (int v = 0; v < vm_variant_nr_values(key) && used < size; v++)
		used += (unsigned long)snprintf(buf + used, size - used, "%s%s",
						v ? ", " : "", vm_variant_table[key].values[v]);
}
