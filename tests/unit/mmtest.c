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

void mmtest_expect_mem(struct mmtest *t, struct mm_struct *mm, unsigned long addr, const char *s)
{
	char buf[64];
	size_t n = strlen(s);

	T_LT(n, sizeof(buf));
	T_EQ(mmtest_read(t, mm, addr, buf, n), UA_OK);
	T_STREQ(buf, s);
}

struct task_struct *mmtest_proc(struct mmtest *t)
{
	struct task_struct *p;

	MM_CALL(t, p = task_create());
	T_ASSERT(p);
	return p;
}

struct task_struct *mmtest_fork(struct mmtest *t, struct task_struct *parent)
{
	struct task_struct *c = NULL;
	int r;

	MM_CALL(t, r = copy_process(parent, &c));
	T_EQ(r, 0);
	return c;
}

void mmtest_exit(struct mmtest *t, struct task_struct *p)
{
	MM_CALL(t, do_exit(p));
}

struct task_struct *mmtest_proc_with_page(struct mmtest *t, unsigned long addr, const char *s)
{
	struct task_struct *p = mmtest_proc(t);

	T_EQ(mmtest_mmap(t, p->mm, addr, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0),
	     (long)addr);
	T_EQ(mmtest_write(t, p->mm, addr, s), UA_OK);
	return p;
}

struct file *mmtest_file(struct mmtest *t, const char *name, loff_t size)
{
	struct file *f;

	MM_CALL(t, f = file_create(name, (unsigned long long)size, false));
	T_ASSERT(!IS_ERR_OR_NULL(f));
	return f;
}

void mmtest_fput(struct mmtest *t, struct file *f)
{
	MM_CALL(t, fput(f));
}

int mmtest_munmap(struct mmtest *t, struct mm_struct *mm, unsigned long addr, unsigned long len)
{
	int r;

	MM_CALL(t, r = sys_munmap(mm, addr, len));
	return r;
}

int mmtest_mprotect(struct mmtest *t, struct mm_struct *mm, unsigned long addr, unsigned long len,
		    unsigned long prot)
{
	int r;

	MM_CALL(t, r = sys_mprotect(mm, addr, len, prot));
	return r;
}

int mmtest_madvise(struct mmtest *t, struct mm_struct *mm, unsigned long addr, unsigned long len,
		   int advice)
{
	unsigned long progress;
	int r;

	MM_CALL(t, r = sys_madvise(mm, addr, len, advice, &progress));
	return r;
}

int mmtest_truncate(struct mmtest *t, struct file *f, unsigned long long len)
{
	int r;

	MM_CALL(t, r = do_truncate(f, len));
	return r;
}

long mmtest_pwrite(struct mmtest *t, struct file *f, unsigned long long pos, const char *s)
{
	struct user_buf b = { .bytes = (const unsigned char *)s, .len = strlen(s) };
	long r;

	MM_CALL(t, r = kernel_write(f, &b, pos));
	return r;
}

long mmtest_pfill(struct mmtest *t, struct file *f, unsigned long long pos, unsigned char byte,
		  unsigned long len)
{
	struct user_buf b = { .fill = byte, .len = len };
	long r;

	MM_CALL(t, r = kernel_write(f, &b, pos));
	return r;
}

long mmtest_pread(struct mmtest *t, struct file *f, unsigned long long pos, unsigned char *buf,
		  unsigned long len)
{
	long r;

	MM_CALL(t, r = kernel_read(f, buf, len, len, pos));
	return r;
}

struct folio *mmtest_folio_alloc(struct mmtest *t, unsigned int gfp, unsigned int order, int nid)
{
	struct folio *f;

	MM_CALL(t, f = folio_alloc(gfp, order, nid));
	return f;
}

void mmtest_folio_put(struct mmtest *t, struct folio *f)
{
	MM_CALL(t, folio_put(f));
}

void mmtest_inject(struct mmtest *t, enum vm_alloc_site site, unsigned long after,
		   unsigned long times)
{
	MM_CALL(t, vm_inject(site, after, times));
}

void mmtest_end_clean(struct mmtest *t)
{
	T_EQ(machine->frames_in_use, 0);
	T_EQ(machine->live[VM_ALLOC_VMA], 0);
	T_EQ(machine->live[VM_ALLOC_ANON_VMA], 0);
	T_EQ(machine->live[VM_ALLOC_AVC], 0);
	T_EQ(machine->live[VM_ALLOC_PGTABLE], 0);
	mmtest_end(t);
}
