// Open MPI's predefined handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) are macros over the
// addresses of library globals, which Swift cannot import; these functions hand them over.
#include <mpi.h>

static inline MPI_Comm genstudio_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype genstudio_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype genstudio_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Op genstudio_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op genstudio_mpi_max(void) { return MPI_MAX; }
static inline int genstudio_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline void *genstudio_mpi_in_place(void) { return MPI_IN_PLACE; }
