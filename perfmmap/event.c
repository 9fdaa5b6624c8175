/* SPDX-License-Identifier: MIT */
/*
 * perfmmap/event.c: perf_event_open(2) and the per-event ioctls, plus the
 * possible-CPU count perf numbers its per-CPU events with.
 *
 * Everything returns 0 (or an fd / a count) or -errno; nothing prints.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "perfmmap.h"
#include "testing.h"

#ifndef PERF_FLAG_FD_CLOEXEC
#define PERF_FLAG_FD_CLOEXEC (1UL << 3) /* Linux 3.14 */
#endif

int pm_event_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd,
		  unsigned long flags)
{
	long fd;

	/*
	 * The kernel reads size 0 as PERF_ATTR_SIZE_VER0 (64 bytes) and silently
	 * ignores every field after it, so a caller that forgot it would lose
	 * e.g. use_clockid/clockid without any error.
	 */
	if (!attr->size)
		attr->size = sizeof(*attr);

	fd = syscall(__NR_perf_event_open, attr, pid, cpu, group_fd, flags | PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno;
	return (int)fd;
}

static int pm_ioctl(int fd, unsigned long req, unsigned long arg)
{
	if (ioctl(fd, req, arg) < 0)
		return -errno;
	return 0;
}

int pm_event_id(int fd, uint64_t *id)
{
	return pm_ioctl(fd, PERF_EVENT_IOC_ID, (unsigned long)id);
}

int pm_event_set_filter(int fd, const char *filter)
{
	return pm_ioctl(fd, PERF_EVENT_IOC_SET_FILTER, (unsigned long)filter);
}

int pm_event_enable(int fd)
{
	return pm_ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
}

int pm_event_disable(int fd)
{
	return pm_ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
}

/* Parse one decimal CPU number; advances *s.  -1 if there is none. */
static long parse_cpu(const char **s)
{
	const char *p = *s;
	long v = 0;

	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (*p++ - '0');
		if (v > INT_MAX - 1)
			return -1;
	}
	*s = p;
	return v;
}

int pm_cpu_list_count(const char *list)
{
	const char *p = list;
	long max = -1;

	for (;;) {
		long lo = parse_cpu(&p), hi = lo;

		if (lo < 0)
			return -EINVAL;
		if (*p == '-') {
			p++;
			hi = parse_cpu(&p);
			if (hi < lo)
				return -EINVAL;
		}
		if (hi > max)
			max = hi;
		if (*p != ',')
			break;
		p++;
	}
	if (*p == '\n')
		p++;
	if (*p)
		return -EINVAL;
	return (int)(max + 1);
}

/*
 * perf numbers CPUs like the kernel, so rings must be indexed by every
 * possible CPU (not only the online ones: ids can have holes, and CPUs can come
 * online later).  "possible" is the right upper bound; _SC_NPROCESSORS_CONF is
 * the fallback when /sys is not mounted.
 */
int pm_cpu_count(void)
{
	char buf[256];
	ssize_t n = -1;
	long conf;
	int fd, ret;

	fd = open("/sys/devices/system/cpu/possible", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		do
			n = read(fd, buf, sizeof(buf) - 1);
		while (n < 0 && errno == EINTR);
		close(fd);
	}
	if (n > 0) {
		buf[n] = '\0';
		ret = pm_cpu_list_count(buf);
		if (ret > 0)
			return ret;
	}

	errno = 0;
	conf = sysconf(_SC_NPROCESSORS_CONF);
	if (conf < 1)
		return errno ? -errno : -ENOENT;
	return conf > INT_MAX ? INT_MAX : (int)conf;
}
