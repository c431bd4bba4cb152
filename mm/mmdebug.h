/*
 * mm/mmdebug.h - VM_BUG_ON and friends, with the kernel's meaning
 * (include/linux/mmdebug.h).  Never compiled out.  A failed assertion
 * dumps the object (mm/debug.c) and hands control to the run through
 * ex_fatal(): the run records a `bug` violation with the schedule.
 * VM_WARN_ON_ONCE(c) reports a `bug` too (a warning in the model is a
 * model inconsistency) and returns c.
 */
#ifndef RMAPLAB_MM_MMDEBUG_H
#define RMAPLAB_MM_MMDEBUG_H

struct folio;
struct vm_area_struct;
struct mm_struct;
struct anon_vma;

void vm_bug(const char *file, int line, const char *func, const char *cond, char *dump)
	__attribute__((noreturn));
char *dump_folio(const struct folio *folio);
char *dump_vma(const struct vm_area_struct *vma);
char *dump_mm(const struct mm_struct *mm);
char *dump_anon_vma(const struct anon_vma *av);

#define VM_BUG_ON(cond) do {								\
	if (__builtin_expect(!!(cond), 0))						\
		vm_bug(__FILE__, __LINE__, __func__, #cond, NULL);			\
} while (0)

#define VM_BUG_ON_FOLIO(cond, folio) do {						\
	if (__builtin_expect(!!(cond), 0))						\
		vm_bug(__FILE__, __LINE__, __func__, #cond, dump_folio(folio));	\
} while (0)

#define VM_BUG_ON_VMA(cond, vma) do {							\
	if (__builtin_expect(!!(cond), 0))						\
		vm_bug(__FILE__, __LINE__, __func__, #cond, dump_vma(vma));		\
} while (0)

#define VM_BUG_ON_MM(cond, mm) do {							\
	if (__builtin_expect(!!(cond), 0))						\
		vm_bug(__FILE__, __LINE__, __func__, #cond, dump_mm(mm));		\
} while (0)

#define VM_WARN_ON_ONCE(cond) ({							\
	int vm_warn_c_ = !!(cond);							\
	if (vm_warn_c_)									\
		vm_bug(__FILE__, __LINE__, __func__, "WARN: " #cond, NULL);		\
	vm_warn_c_;									\
})

#define BUG() vm_bug(__FILE__, __LINE__, __func__, "BUG()", NULL)

#endif /* RMAPLAB_MM_MMDEBUG_H */
