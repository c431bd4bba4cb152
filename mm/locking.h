/*
 * mm/locking.h - the kernel's lock API on the explore/ lock layer.
 * See lock ordering in mm/rmap.c.
 *
 * Every call passes the calling model function's name, so traces name
 * the kernel function that took or dropped each lock.
 */
#ifndef RMAPLAB_MM_LOCKING_H
#define RMAPLAB_MM_LOCKING_H

#include "explore/lock.h"
#include "mm/mm_types.h"

#define SINGLE_DEPTH_NESTING 1

/* spinlocks */
#define spin_lock(l)			ex_lock_acquire((l), EX_EXCL, 0, __func__)
#define spin_lock_nested(l, sub)	ex_lock_acquire((l), EX_EXCL, (sub), __func__)
#define spin_trylock(l)			ex_lock_tryacquire((l), EX_EXCL, __func__)
#define spin_unlock(l)			ex_lock_release((l), EX_EXCL, __func__)
#define spin_is_locked(l)		ex_lock_is_locked(l)
#define lockdep_assert_held(l)		VM_BUG_ON(!ex_lock_held_by_me((l), -1))
#define lockdep_assert_held_write(l)	VM_BUG_ON(!ex_lock_held_by_me((l), EX_EXCL))

/* rw_semaphores */
#define down_read(l)			ex_lock_acquire((l), EX_SHARED, 0, __func__)
#define down_read_trylock(l)		ex_lock_tryacquire((l), EX_SHARED, __func__)
#define down_write(l)			ex_lock_acquire((l), EX_EXCL, 0, __func__)
#define down_write_nested(l, sub)	ex_lock_acquire((l), EX_EXCL, (sub), __func__)
#define down_write_trylock(l)		ex_lock_tryacquire((l), EX_EXCL, __func__)
#define up_read(l)			ex_lock_release((l), EX_SHARED, __func__)
#define up_write(l)			ex_lock_release((l), EX_EXCL, __func__)
#define downgrade_write(l)		ex_lock_downgrade((l), __func__)

/* mmap_lock (include/linux/mmap_lock.h) */
#define mmap_read_lock(mm)		down_read(&(mm)->mmap_lock)
#define mmap_read_trylock(mm)		down_read_trylock(&(mm)->mmap_lock)
#define mmap_read_unlock(mm)		up_read(&(mm)->mmap_lock)
#define mmap_write_lock(mm)		down_write(&(mm)->mmap_lock)
#define mmap_write_lock_nested(mm, s)	down_write_nested(&(mm)->mmap_lock, (s))
#define mmap_write_unlock(mm)		up_write(&(mm)->mmap_lock)
#define mmap_write_downgrade(mm)	downgrade_write(&(mm)->mmap_lock)
#define mmap_assert_locked(mm)		VM_BUG_ON_MM(!ex_lock_held_by_me(&(mm)->mmap_lock, -1), (mm))
#define mmap_assert_write_locked(mm)	VM_BUG_ON_MM(!ex_lock_held_by_me(&(mm)->mmap_lock, EX_EXCL), (mm))

/* inode and mapping locks (include/linux/fs.h) */
#define inode_lock(inode)		down_write(&(inode)->i_rwsem)
#define inode_unlock(inode)		up_write(&(inode)->i_rwsem)
#define i_mmap_lock_read(m)		down_read(&(m)->i_mmap_rwsem)
#define i_mmap_trylock_read(m)		down_read_trylock(&(m)->i_mmap_rwsem)
#define i_mmap_unlock_read(m)		up_read(&(m)->i_mmap_rwsem)
#define i_mmap_lock_write(m)		down_write(&(m)->i_mmap_rwsem)
#define i_mmap_unlock_write(m)		up_write(&(m)->i_mmap_rwsem)
#define i_mmap_assert_locked(m)		VM_BUG_ON(!ex_lock_held_by_me(&(m)->i_mmap_rwsem, -1))
#define i_mmap_assert_write_locked(m)	VM_BUG_ON(!ex_lock_held_by_me(&(m)->i_mmap_rwsem, EX_EXCL))
#define filemap_invalidate_lock(m)	down_write(&(m)->invalidate_lock)
#define filemap_invalidate_unlock(m)	up_write(&(m)->invalidate_lock)
#define filemap_invalidate_lock_shared(m)   down_read(&(m)->invalidate_lock)
#define filemap_invalidate_unlock_shared(m) up_read(&(m)->invalidate_lock)
#define xa_lock(m)			spin_lock(&(m)->i_pages_lock)
#define xa_unlock(m)			spin_unlock(&(m)->i_pages_lock)

/* anon_vma: always the root's rwsem (mm/internal.h) */
#define anon_vma_lock_write(av)		down_write(&(av)->root->rwsem)
#define anon_vma_trylock_write(av)	down_write_trylock(&(av)->root->rwsem)
#define anon_vma_unlock_write(av)	up_write(&(av)->root->rwsem)
#define anon_vma_lock_read(av)		down_read(&(av)->root->rwsem)
#define anon_vma_trylock_read(av)	down_read_trylock(&(av)->root->rwsem)
#define anon_vma_unlock_read(av)	up_read(&(av)->root->rwsem)

/* folio lock: PG_locked in folio->flags */
#define folio_lock(f)		ex_bit_lock(&(f)->flags, PG_locked, &ex_class_folio_lock, 0, __func__)
#define folio_lock_nested(f, s)	ex_bit_lock(&(f)->flags, PG_locked, &ex_class_folio_lock, (s), __func__)
#define folio_trylock(f)	ex_bit_trylock(&(f)->flags, PG_locked, &ex_class_folio_lock, __func__)
#define folio_unlock(f)		ex_bit_unlock(&(f)->flags, PG_locked, &ex_class_folio_lock, __func__)
#define folio_wait_locked(f)	ex_bit_wait(&(f)->flags, PG_locked, &ex_class_folio_lock, __func__)
#define folio_test_locked(f)	((__atomic_load_n(&(f)->flags, __ATOMIC_RELAXED) >> PG_locked) & 1)

/* fork's write_protect_seq (a seqcount: writers are schedule points, not locks) */
static inline void raw_write_seqcount_begin(seqcount_t *s)
{
	s->sequence++;
	ex_sched_point("write_protect_seq begin");
}

static inline void raw_write_seqcount_end(seqcount_t *s)
{
	ex_sched_point("write_protect_seq end");
	s->sequence++;
}

#define cond_resched()		ex_cond_resched(__func__)
#define sched_point(name)	ex_sched_point(name)

/*
 * Traces only: the VMA address a walker or mover is at, printed with each
 * of its steps ("[unmap_mapping_range_vma 0x10400000]").  No schedule
 * point; enter returns what trace_vma_exit restores.
 */
#define trace_vma_enter(addr)	ex_trace_ctx_set(__func__, (addr))
#define trace_vma_exit(prev)	ex_trace_ctx_restore(prev)

/*
 * --points=atomics: an atomic_inc/dec of _refcount or _mapcount is a
 * schedule point too (before the update). Off by default: the flag test
 * keeps the hot helpers a load and a branch.
 */
#define atomic_point(what)	do { if (ex_points_atomics) ex_atomic_point(what); } while (0)

/*
 * The host side of the model's atomic_t ops and bitops (atomic_add,
 * atomic_sub_return, set_bit, clear_bit, xchg, cmpxchg).  Model threads
 * run on host threads at once only in `rmaplab stress` (the pthread lock
 * layer, ex_lock_pthreads_on): then each is a locked host instruction, as
 * on an SMP kernel.  Everywhere else (explore, replay, run, conform,
 * bench) one host thread runs every model thread and switches only at
 * schedule points, so a plain load-modify-store is exact, and the lock
 * prefix, about 10 cycles apiece on the bench machine, buys nothing.
 * The model-level ordering is the schedule points' (atomic_point), not
 * these.  Always inlined, so that @order is a constant to the compiler
 * (and to ThreadSanitizer) at every call.
 */
#define VM_RMW(name, type, op)							\
static inline __attribute__((always_inline)) type				\
vm_atomic_fetch_##name(type *p, type v, int order)				\
{										\
	type old;								\
										\
	if (__builtin_expect(ex_lock_pthreads_on, 0))				\
		return __atomic_fetch_##name(p, v, order);			\
	old = *p;								\
	*p = old op v;								\
	return old;								\
}
VM_RMW(add, int, +)
VM_RMW(sub, int, -)
VM_RMW(or, unsigned long, |)
VM_RMW(and, unsigned long, &)
#undef VM_RMW

static inline __attribute__((always_inline)) long
vm_atomic_fetch_add_long(long *p, long v, int order)
{
	long old;

	if (__builtin_expect(ex_lock_pthreads_on, 0))
		return __atomic_fetch_add(p, v, order);
	old = *p;
	*p = old + v;
	return old;
}

static inline __attribute__((always_inline)) unsigned long
vm_atomic_xchg(unsigned long *p, unsigned long v, int order)
{
	unsigned long old;

	if (__builtin_expect(ex_lock_pthreads_on, 0))
		return __atomic_exchange_n(p, v, order);
	old = *p;
	*p = v;
	return old;
}

/*
 * cmpxchg: true and *p = @new if *p was *@old; else false and *@old = *p.
 * @order on success; relaxed on failure.
 */
static inline __attribute__((always_inline)) bool
vm_atomic_cmpxchg(int *p, int *old, int new, int order)
{
	if (__builtin_expect(ex_lock_pthreads_on, 0))
		return __atomic_compare_exchange_n(p, old, new, false, order, __ATOMIC_RELAXED);
	if (*p != *old) {
		*old = *p;
		return false;
	}
	*p = new;
	return true;
}

#endif /* RMAPLAB_MM_LOCKING_H */
