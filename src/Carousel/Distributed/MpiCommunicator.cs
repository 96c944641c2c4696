namespace Carousel.Distributed;

/// <summary>
/// The processes <c>mpirun</c> started, through Open MPI (<see cref="OpenMpiLibrary"/>): sums by MPI_Allreduce, the
/// broadcast by MPI_Bcast, all on MPI_COMM_WORLD. Start it once per process, on the thread that will train, and dispose
/// of it at the end (MPI_Finalize). Open MPI's default error handling stays on: when a process dies, mpirun ends the others.
/// </summary>
public sealed unsafe class MpiCommunicator : ICommunicator
{
    private readonly OpenMpiLibrary _mpi;
    private bool _finalized;

    private MpiCommunicator(OpenMpiLibrary mpi)
    {
        _mpi = mpi;
        Rank = mpi.Rank();
        Size = mpi.Size();
    }

    /// <summary>Loads libmpi and starts MPI (MPI_Init_thread).</summary>
    /// <exception cref="MpiNotInstalledException">Open MPI's library is not installed; the message names the packages.</exception>
    public static MpiCommunicator Start()
    {
        var mpi = OpenMpiLibrary.Load();
        mpi.Initialize();
        return new MpiCommunicator(mpi);
    }

    /// <summary>
    /// Whether this process was started by an MPI launcher (mpirun, srun): the environment variables Open MPI, PMIx or
    /// PMI set in every process they start.
    /// </summary>
    public static bool LaunchedByMpi =>
        Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null
        || Environment.GetEnvironmentVariable("PMIX_RANK") is not null
        || Environment.GetEnvironmentVariable("PMI_SIZE") is not null;

    /// <inheritdoc/>
    public int Rank { get; }

    /// <inheritdoc/>
    public int Size { get; }

    /// <inheritdoc/>
    public void SumInPlace(Span<float> values)
    {
        fixed (float* p = values) _mpi.SumInPlace(p, values.Length, isDouble: false);
    }

    /// <inheritdoc/>
    public void SumInPlace(Span<double> values)
    {
        fixed (double* p = values) _mpi.SumInPlace(p, values.Length, isDouble: true);
    }

    /// <inheritdoc/>
    public void Broadcast(Span<float> values)
    {
        fixed (float* p = values) _mpi.Broadcast(p, values.Length);
    }

    /// <inheritdoc/>
    public void Abort(int exitCode)
    {
        _mpi.Abort(exitCode);
    }

    /// <summary>MPI_Finalize (once): every process calls it after its last collective operation.</summary>
    public void Dispose()
    {
        if (_finalized) return;
        _finalized = true;
        _mpi.FinalizeMpi();
    }
}
