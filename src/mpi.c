/* poolsim: MPI wrappers (see mpi.h). Messages larger than INT_MAX elements
 * are sent in pieces. */
#include "poolsim/mpi.h"

#include <limits.h>
#include <stdlib.h>

#include "poolsim/common.h"

#ifdef POOLSIM_MPI
#include <mpi.h>

#define CHUNK ((size_t)1 << 28)

int poolsim_mpi_init(int *argc, char ***argv)
{
    int provided;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return POOLSIM_EIO;
    return POOLSIM_OK;
}

void poolsim_mpi_finalize(void)
{
    MPI_Finalize();
}

int poolsim_mpi_rank(void)
{
    int r;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return r;
}

int poolsim_mpi_size(void)
{
    int s;
    MPI_Comm_size(MPI_COMM_WORLD, &s);
    return s;
}

int poolsim_mpi_max_int(int v)
{
    int out = v;
    MPI_Allreduce(&v, &out, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return out;
}

static int send_any(const void *buf, size_t n, MPI_Datatype t, size_t size, int dest, int tag)
{
    const char *p = buf;
    do {
        size_t k = n < CHUNK ? n : CHUNK;
        if (MPI_Send(p, (int)k, t, dest, tag, MPI_COMM_WORLD) != MPI_SUCCESS) return POOLSIM_EIO;
        p += k * size;
        n -= k;
    } while (n > 0);
    return POOLSIM_OK;
}

static int recv_any(void *buf, size_t n, MPI_Datatype t, size_t size, int src, int tag)
{
    char *p = buf;
    do {
        size_t k = n < CHUNK ? n : CHUNK;
        if (MPI_Recv(p, (int)k, t, src, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE) != MPI_SUCCESS)
            return POOLSIM_EIO;
        p += k * size;
        n -= k;
    } while (n > 0);
    return POOLSIM_OK;
}

int poolsim_mpi_send_doubles(const double *buf, size_t n, int dest, int tag)
{
    return send_any(buf, n, MPI_DOUBLE, sizeof(double), dest, tag);
}

int poolsim_mpi_recv_doubles(double *buf, size_t n, int src, int tag)
{
    return recv_any(buf, n, MPI_DOUBLE, sizeof(double), src, tag);
}

int poolsim_mpi_send_i64(const int64_t *buf, size_t n, int dest, int tag)
{
    uint64_t len = n;
    if (MPI_Send(&len, 1, MPI_UINT64_T, dest, tag, MPI_COMM_WORLD) != MPI_SUCCESS)
        return POOLSIM_EIO;
    return n ? send_any(buf, n, MPI_INT64_T, sizeof(int64_t), dest, tag) : POOLSIM_OK;
}

int poolsim_mpi_recv_i64_any(int64_t **buf, size_t *n, int src, int tag)
{
    uint64_t len;
    *buf = NULL;
    if (MPI_Recv(&len, 1, MPI_UINT64_T, src, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE) != MPI_SUCCESS)
        return POOLSIM_EIO;
    *n = (size_t)len;
    *buf = malloc((len ? len : 1) * sizeof(int64_t));
    if (!*buf) return POOLSIM_ENOMEM;
    return len ? recv_any(*buf, (size_t)len, MPI_INT64_T, sizeof(int64_t), src, tag) : POOLSIM_OK;
}

int poolsim_mpi_bcast_doubles(double *buf, size_t n)
{
    while (n > 0) {
        size_t k = n < CHUNK ? n : CHUNK;
        if (MPI_Bcast(buf, (int)k, MPI_DOUBLE, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
            return POOLSIM_EIO;
        buf += k;
        n -= k;
    }
    return POOLSIM_OK;
}

int poolsim_mpi_gather_double(double v, double *out)
{
    return MPI_Gather(&v, 1, MPI_DOUBLE, out, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD) == MPI_SUCCESS
               ? POOLSIM_OK
               : POOLSIM_EIO;
}

void poolsim_mpi_abort(int code)
{
    MPI_Abort(MPI_COMM_WORLD, code);
}

#else /* single process */

int poolsim_mpi_init(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return POOLSIM_OK;
}
void poolsim_mpi_finalize(void) {}
int poolsim_mpi_rank(void)
{
    return 0;
}
int poolsim_mpi_size(void)
{
    return 1;
}
int poolsim_mpi_max_int(int v)
{
    return v;
}
int poolsim_mpi_send_doubles(const double *buf, size_t n, int dest, int tag)
{
    (void)buf, (void)n, (void)dest, (void)tag;
    return POOLSIM_EIO;
}
int poolsim_mpi_recv_doubles(double *buf, size_t n, int src, int tag)
{
    (void)buf, (void)n, (void)src, (void)tag;
    return POOLSIM_EIO;
}
int poolsim_mpi_send_i64(const int64_t *buf, size_t n, int dest, int tag)
{
    (void)buf, (void)n, (void)dest, (void)tag;
    return POOLSIM_EIO;
}
int poolsim_mpi_recv_i64_any(int64_t **buf, size_t *n, int src, int tag)
{
    (void)src, (void)tag;
    *buf = NULL;
    *n = 0;
    return POOLSIM_EIO;
}
int poolsim_mpi_bcast_doubles(double *buf, size_t n)
{
    (void)buf, (void)n;
    return POOLSIM_OK;
}
int poolsim_mpi_gather_double(double v, double *out)
{
    out[0] = v;
    return POOLSIM_OK;
}
void poolsim_mpi_abort(int code)
{
    exit(code);
}
#endif
