/*
 * mm/debug.c - dumps of model objects and the VM_BUG_ON handler
 *
 * Models: dump_page, dump_vma, dump_mm (mm/debug.c).  Objects are named
 * by creation numbers, never by pointer values, so dumps are the same on
 * every run.
 */
#include <stdio.h>

#include "lib/util.h"
#include "mm/internal.h"

static const char *const flag_names[NR_PAGEFLAGS] = {
	[PG_locked] = "locked", [PG_referenced] = "referenced", [PG_uptodate] = "uptodate",
	[PG_dirty] = "dirty", [PG_lru] = "lru", [PG_active] = "active", [PG_head] = "head",
	[PG_writeback] = "writeback", [PG_reserved] = "reserved", [PG_private] = "private",
	[PG_swapcache] = "swapcache", [PG_swapbacked] = "swapbacked",
	[PG_anon_exclusive] = "anon_exclusive", [PG_buddy] = "buddy", [PG_isolated] = "isolated",
	[PG_migrating] = "migrating",
};

static void folio_flags(struct sbuf *sb, const struct folio *f)
{
	bool first = true;

	for (int bit = 0; bit < NR_PAGEFLAGS; bit++) {
		if (!folio_test_flag(f, bit))
			continue;
		sbuf_printf(sb, "%s%s", first ? "" : "|", flag_names[bit]);
		first = false;
	}
	if (first)
		sbuf_puts(sb, "none");
}

char *dump_folio(const struct folio *f)
{
	struct sbuf sb;

	sbuf_init(&sb);
	if (!f) {
		sbuf_puts(&sb, "folio: (null)\n");
		return sbuf_detach(&sb);
	}
	sbuf_printf(&sb, "folio pfn:%#lx node:%d order:%u refcount:%d mapcount:%d index:%#lx ",
		    folio_pfn(f), folio_nid(f), folio_order(f), f->_refcount, folio_mapcount(f),
		    f->index);
	if (folio_test_anon(f))
		sbuf_printf(&sb, "mapping:anon_vma#%lu", folio_anon_vma(f)->id);
	else if (f->mapping)
		sbuf_printf(&sb, "mapping:file '%s'", f->mapping->host->name);
	else
		sbuf_puts(&sb, "mapping:none");
	sbuf_puts(&sb, "\n  flags: ");
	folio_flags(&sb, f);
	sbuf_putc(&sb, '\n');
	return sbuf_detach(&sb);
}

static void vma_line(struct sbuf *sb, const struct vm_area_struct *vma)
{
	unsigned long fl = vma->vm_flags;

	sbuf_printf(sb, "vma#%lu [%#lx-%#lx) pgoff:%#lx %c%c%c%c%s%s%s anon_vma:", vma->vm_seq,
		    vma->vm_start, vma->vm_end, vma->vm_pgoff, fl & VM_READ ? 'r' : '-',
		    fl & VM_WRITE ? 'w' : '-', fl & VM_EXEC ? 'x' : '-', fl & VM_SHARED ? 's' : 'p',
		    fl & VM_GROWSDOWN ? " growsdown" : "", fl & VM_HUGEPAGE ? " hugepage" : "",
		    fl & VM_NOHUGEPAGE ? " nohugepage" : "");
	if (vma->anon_vma)
		sbuf_printf(sb, "#%lu", vma->anon_vma->id);
	else
		sbuf_puts(sb, "none");
	if (vma->vm_file)
		sbuf_printf(sb, " file:'%s'", vma->vm_file->f_inode->name);
	sbuf_putc(sb, '\n');
}

char *dump_vma(const struct vm_area_struct *vma)
{
	struct sbuf sb;
	struct anon_vma_chain *avc;

	sbuf_init(&sb);
	if (!vma) {
		sbuf_puts(&sb, "vma: (null)\n");
		return sbuf_detach(&sb);
	}
	vma_line(&sb, vma);
	sbuf_puts(&sb, "  anon_vma_chain:");
	list_for_each_entry(avc, &vma->anon_vma_chain, same_vma)
		sbuf_printf(&sb, " #%lu", avc->anon_vma->id);
	sbuf_putc(&sb, '\n');
	return sbuf_detach(&sb);
}

char *dump_mm(const struct mm_struct *mm)
{
	struct sbuf sb;

	sbuf_init(&sb);
	if (!mm) {
		sbuf_puts(&sb, "mm: (null)\n");
		return sbuf_detach(&sb);
	}
	sbuf_printf(&sb, "mm#%lu map_count:%d rss file:%ld anon:%ld swap:%ld shmem:%ld pgtables:%lu\n",
		    mm->mm_id, mm->map_count, mm->rss_stat[MM_FILEPAGES], mm->rss_stat[MM_ANONPAGES],
		    mm->rss_stat[MM_SWAPENTS], mm->rss_stat[MM_SHMEMPAGES], mm->nr_pgtables);
	for (const struct vm_area_struct *vma = mm->mmap; vma; vma = vma->vm_next) {
		sbuf_puts(&sb, "  ");
		vma_line(&sb, vma);
	}
	return sbuf_detach(&sb);
}

char *dump_anon_vma(const struct anon_vma *av)
{
	struct sbuf sb;

	sbuf_init(&sb);
	if (!av) {
		sbuf_puts(&sb, "anon_vma: (null)\n");
		return sbuf_detach(&sb);
	}
	sbuf_printf(&sb, "anon_vma#%lu root:#%lu parent:#%lu refcount:%d num_children:%lu num_active_vmas:%lu\n",
		    av->id, av->root->id, av->parent ? av->parent->id : 0, av->refcount,
		    av->num_children, av->num_active_vmas);
	return sbuf_detach(&sb);
}

void vm_bug(const char *file, int line, const char *func, const char *cond, char *dump)
{
	char where[256];

	snprintf(where, sizeof(where), "%s:%d (%s)", file, line, func);
	ex_fatal(EX_BUG, dump, where, "VM_BUG_ON(%s) in %s at %s:%d", cond, func, file, line);
}
