/* poolsim: the few MPI operations the engine needs. Built without MPI
 * (the plain `make`), every call is a single-process no-op: rank 0 of 1. */
#ifndef POOLSIM_MPI_H
#define POOLSIM_MPI_H

#include <stddef.h>
#include <stdint.h>

int poolsim_mpi_init(int *argc, char ***argv);
void poolsim_mpi_finalize(void);
int poolsim_mpi_rank(void);
int poolsim_mpi_size(void);
/* Largest v over all ranks (used to agree on a status). */
int poolsim_mpi_max_int(int v);
/* Point-to-point transfers of whole buffers (tag chosen by the caller). */
int poolsim_mpi_send_doubles(const double *buf, size_t n, int dest, int tag);
int poolsim_mpi_recv_doubles(double *buf, size_t n, int src, int tag);
int poolsim_mpi_send_i64(const int64_t *buf, size_t n, int dest, int tag);
/* Receive a message of unknown length from src; *buf is malloc'ed. */
int poolsim_mpi_recv_i64_any(int64_t **buf /* OUT */, size_t *n /* OUT */, int src, int tag);
/* Broadcast doubles from rank 0 to all. */
int poolsim_mpi_bcast_doubles(double *buf, size_t n);
/* Gather one double from every rank into out[size] on rank 0. */
int poolsim_mpi_gather_double(double v, double *out /* OUT [size], rank 0 */);
/* Abort every rank (after a failure that leaves ranks out of step). */
void poolsim_mpi_abort(int code);

#endif
