/* procfs/pid_parse: pure parsers for the /proc/PID files the owner scan reads.
 *
 * Bytes in, values out: no I/O, no logging, no globals. Used by the owner
 * scan (owners/cache.c) and by the exporter's own metrics (self.c). */
#ifndef NETSTAT_PROCFS_PID_PARSE_H
#define NETSTAT_PROCFS_PID_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Longest comm the kernel keeps (TASK_COMM_LEN - 1). */
#define PROC_COMM_MAX 15

/* What the exporter reads of /proc/PID/stat. */
struct pid_stat {
	uint64_t utime_ticks;
	uint64_t stime_ticks;
	uint64_t starttime_ticks; /* since boot */
	uint64_t vsize_bytes;
	uint64_t rss_pages;
};

/* Parses the contents of /proc/PID/stat (len bytes, no NUL needed).
 * 0 or -EINVAL. */
int pid_parse_stat(const char *stat, size_t len, struct pid_stat *out);

/* The inode of an fd link "socket:[INODE]" (len bytes, no NUL needed).
 * 0, or -EINVAL for any other link (files, pipes, anon inodes, junk). */
int pid_parse_socket_link(const char *link, size_t len, uint32_t *inode);

/* Whether a /proc directory entry names a process: all digits, no leading
 * zero, fits an int. Returns the pid, or -EINVAL ("self", "sys", "12a"...). */
int pid_parse_pid(const char *name);

/* The comm field of /proc/PID/stat: between the first '(' and the last ')'.
 * Copies at most PROC_COMM_MAX bytes plus a NUL into out, made safe for a
 * label value by pid_clean_name(). 0 or -EINVAL. */
int pid_parse_comm(const char *stat, size_t len, char out[PROC_COMM_MAX + 1]);

/* The effective uid from the contents of /proc/PID/status
 * ("Uid:\treal\teffective\tsaved\tfs"). 0 or -EINVAL. */
int pid_parse_status_euid(const char *status, size_t len, uint32_t *uid);

/* The effective capability set from the contents of /proc/PID/status
 * ("CapEff:\t000001ffffffffff", 16 hex digits; bit n is capability n).
 * 0 or -EINVAL. */
int pid_parse_status_capeff(const char *status, size_t len, uint64_t *caps);

/* Makes a NUL-terminated name valid UTF-8 without control characters, in
 * place: every byte that is not part of a well-formed UTF-8 sequence, and
 * every C0 control or DEL, becomes '?'. A comm is whatever bytes a program
 * chose; a label value must be UTF-8. */
void pid_clean_name(char *s);

#endif
