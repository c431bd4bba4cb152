/*
 * tests/unit/mmtest.c - a model machine for C unit tests (see mmtest.h)
 */
#include <string.h>

#include "tests/unit/mmtest.h"

void mmtest_begin_variants(struct mmtest *t, unsigned long frames, const struct vm_variants *v)
{
	struct vm_config config = { .frames = frames, .nodes = 2, .thp = 1 };

	memset(t, 0, sizeof(*t));
	t->m = machine_create(&config, v);
	machine = t->m;
	ex_sink_init(&t->sink);
	ex_sink = &t->sink;
	ex_thread_init(&t->thread, 0, "test");
	ex_set_current(&t->thread);
}

void mmtest_begin(struct mmtest *t, unsigned long frames)
{
	struct vm_variants v = { 0 };

	mmtest_begin_variants(t, frames, &v);
}

void mmtest_end(struct mmtest *t)
{
	ex_thread_forget_locks(&t->thread);
	ex_set_current(NULL);
	machine_destroy(t->m);
	ex_sink_reset(&t->sink);
	ex_sink = NULL;
}

void mmtest_fatal(struct mmtest *t, const char *file, int line)
{
	char msg[1024];

	snprintf(msg, sizeof(msg), "%s: %s at %s", ex_kind_name(t->sink.first.kind),
		 t->sink.first.message ? t->sink.first.message : "", t->sink.first.where);
	if (t->sink.first.dump)
		t_log("%s", t->sink.first.dump);
	mmtest_end(t);
	t_fail_noreturn(file, line, "%s", msg);
}

enum ex_kind mmtest_check(struct mmtest *t)
{
	enum ex_kind kind;

	MM_VIOLATION(t, vm_check_all(), &kind);
	if (kind != EX_KIND_NONE && t_verbose())
		t_log("check: %s: %s", ex_kind_name(kind), t->sink.first.message);
	return kind;
}

struct mm_struct *mmtest_mm(struct task_struct *task)
{
	return task->mm;
}

long mmtest_mmap(struct mmtest *t, struct mm_struct *mm, unsigned long addr, unsigned long len,
		 unsigned long prot, unsigned long flags, struct file *file, unsigned long off)
{
	unsigned long progress;
	long ret;

	MM_CALL(t, ret = sys_mmap(mm, addr, len, prot, flags, file, off, &progress));
	return ret;
}

enum uaccess_fault mmtest_write(struct mmtest *t, struct mm_struct *mm, unsigned long addr,
				const char *s)
{
	struct user_buf b = { .bytes = (const unsigned char *)s, .len = strlen(s) };
	enum uaccess_fault r;
	unsigned long done;

	MM_CALL(t, r = uaccess_write(mm, addr, &b, &done));
	return r;
}

enum uaccess_fault mmtest_fill(struct mmtest *t, struct mm_struct *mm, unsigned long addr,
			       unsigned char byte, unsigned long len)
{
	struct user_buf b = { .fill = byte, .len = len };
	enum uaccess_fault r;
	unsigned long done;

	MM_CALL(t, r = uaccess_write(mm, addr, &b, &done));
	return r;
}

enum uaccess_fault mmtest_read(struct mmtest *t, struct mm_struct *mm, unsigned long addr,
			       char *buf, unsigned long len)
{
	enum uaccess_fault r;
	unsigned long done;

	MM_CALL(t, r = uaccess_read(mm, addr, (unsigned char *)buf, len, &done));
	buf[len] = '\0';
	return r;
}

struct folio *mmtest_folio_at(struct mm_struct *mm, unsigned long addr)
{
	pte_t *pte = pte_offset_map(mm, addr);

	if (!pte || !pte_present(*pte) || pte_special(*pte))
		return NULL;
	return pfn_folio(pte_pfn(*pte));
}
