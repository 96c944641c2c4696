using System.Runtime.InteropServices;

namespace Carousel.Distributed;

/// <summary>
/// Open MPI's C library (libmpi) called through function pointers taken from the loaded library, with its predefined
/// handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_DOUBLE, MPI_SUM) found by name: in Open MPI each is the address of a global
/// struct (<c>ompi_mpi_comm_world</c>, …), which is why bindings that hard-code MS-MPI's integer handles cannot work here.
/// The library is opened with RTLD_GLOBAL so that the components Open MPI loads itself see its symbols.
/// </summary>
internal sealed unsafe class OpenMpiLibrary
{
    /// <summary>The environment variable that names libmpi's path, to use another build than the system's.</summary>
    public const string PathVariable = "CAROUSEL_LIBMPI";

    /// <summary>The sentence of every message about a missing library.</summary>
    public const string InstallHint = "install Open MPI (Debian, Ubuntu: apt-get install openmpi-bin libopenmpi-dev)";

    private const int ThreadFunneled = 1;        // MPI_THREAD_FUNNELED: only the thread that started MPI calls it
    private static readonly nint InPlace = 1;    // MPI_IN_PLACE, ((void *) 1) in Open MPI's mpi.h

    private readonly delegate* unmanaged<int*, nint, int, int*, int> _initThread;
    private readonly delegate* unmanaged<int*, int> _initialized;
    private readonly delegate* unmanaged<int*, int> _finalized;
    private readonly delegate* unmanaged<int> _finalize;
    private readonly delegate* unmanaged<nint, int*, int> _commRank;
    private readonly delegate* unmanaged<nint, int*, int> _commSize;
    private readonly delegate* unmanaged<nint, nint, int, nint, nint, nint, int> _allreduce;
    private readonly delegate* unmanaged<nint, int, nint, int, nint, int> _bcast;
    private readonly delegate* unmanaged<nint, int, int> _abort;
    private readonly nint _world, _float, _double, _sum;

    private OpenMpiLibrary(nint library)
    {
        nint Export(string name) => NativeLibrary.GetExport(library, name);
        _initThread = (delegate* unmanaged<int*, nint, int, int*, int>)Export("MPI_Init_thread");
        _initialized = (delegate* unmanaged<int*, int>)Export("MPI_Initialized");
        _finalized = (delegate* unmanaged<int*, int>)Export("MPI_Finalized");
        _finalize = (delegate* unmanaged<int>)Export("MPI_Finalize");
        _commRank = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_rank");
        _commSize = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_size");
        _allreduce = (delegate* unmanaged<nint, nint, int, nint, nint, nint, int>)Export("MPI_Allreduce");
        _bcast = (delegate* unmanaged<nint, int, nint, int, nint, int>)Export("MPI_Bcast");
        _abort = (delegate* unmanaged<nint, int, int>)Export("MPI_Abort");
        _world = Export("ompi_mpi_comm_world");
        _float = Export("ompi_mpi_float");
        _double = Export("ompi_mpi_double");
        _sum = Export("ompi_mpi_op_sum");
    }

    /// <summary>
    /// Loads libmpi (the path in <see cref="PathVariable"/>, else the system's libmpi.so.40 or libmpi.so).
    /// </summary>
    /// <exception cref="MpiNotInstalledException">No Open MPI library could be loaded, or it lacks Open MPI's names.</exception>
    public static OpenMpiLibrary Load()
    {
        string? path = Environment.GetEnvironmentVariable(PathVariable);
        string[] candidates = string.IsNullOrEmpty(path) ? ["libmpi.so.40", "libmpi.so"] : [path];
        foreach (string name in candidates)
        {
            nint library = Open(name);
            if (library == 0) continue;
            try
            {
                return new OpenMpiLibrary(library);
            }
            catch (EntryPointNotFoundException e)
            {
                throw new MpiNotInstalledException($"Distributed training needs Open MPI, but {name} is not Open MPI's libmpi ({e.Message}); {InstallHint}.");
            }
        }
        string where = string.IsNullOrEmpty(path) ? "libmpi.so.40 was not found" : $"{PathVariable}={path} could not be loaded";
        throw new MpiNotInstalledException($"Distributed training needs Open MPI's library, and {where}: {InstallHint}.");
    }

    // RTLD_NOW | RTLD_GLOBAL on Linux: Open MPI's own plug-ins resolve libmpi's symbols through the global scope.
    private static nint Open(string name)
    {
        if (OperatingSystem.IsLinux())
        {
            try { return DlOpen(name, 0x002 | 0x100); }
            catch (DllNotFoundException) { }
            catch (EntryPointNotFoundException) { }
        }
        return NativeLibrary.TryLoad(name, out nint handle) ? handle : 0;
    }

    [DllImport("libc.so.6", EntryPoint = "dlopen")]
    private static extern nint DlOpen([MarshalAs(UnmanagedType.LPUTF8Str)] string file, int mode);

    /// <summary>MPI_Init_thread with MPI_THREAD_FUNNELED, unless MPI already runs.</summary>
    public void Initialize()
    {
        int flag = 0, provided = 0;
        Check(_initialized(&flag), "MPI_Initialized");
        if (flag == 0) Check(_initThread(null, 0, ThreadFunneled, &provided), "MPI_Init_thread");
    }

    /// <summary>MPI_Finalize, unless MPI already ended.</summary>
    public void FinalizeMpi()
    {
        int flag = 0;
        Check(_finalized(&flag), "MPI_Finalized");
        if (flag == 0) Check(_finalize(), "MPI_Finalize");
    }

    /// <summary>This process's rank in MPI_COMM_WORLD.</summary>
    public int Rank()
    {
        int rank;
        Check(_commRank(_world, &rank), "MPI_Comm_rank");
        return rank;
    }

    /// <summary>The processes in MPI_COMM_WORLD.</summary>
    public int Size()
    {
        int size;
        Check(_commSize(_world, &size), "MPI_Comm_size");
        return size;
    }

    /// <summary>MPI_Allreduce(MPI_IN_PLACE, …, MPI_SUM, MPI_COMM_WORLD) over floats or doubles, in pieces that fit an int count.</summary>
    public void SumInPlace(void* values, long count, bool isDouble)
    {
        int width = isDouble ? sizeof(double) : sizeof(float);
        for (long done = 0; done < count;)
        {
            int piece = (int)Math.Min(count - done, 1 << 30);
            Check(_allreduce(InPlace, (nint)((byte*)values + done * width), piece, isDouble ? _double : _float, _sum, _world), "MPI_Allreduce");
            done += piece;
        }
    }

    /// <summary>MPI_Bcast of floats from rank 0, in pieces that fit an int count.</summary>
    public void Broadcast(float* values, long count)
    {
        for (long done = 0; done < count;)
        {
            int piece = (int)Math.Min(count - done, 1 << 30);
            Check(_bcast((nint)(values + done), piece, _float, 0, _world), "MPI_Bcast");
            done += piece;
        }
    }

    /// <summary>MPI_Abort on MPI_COMM_WORLD: ends every process of the run.</summary>
    public void Abort(int exitCode) => _abort(_world, exitCode);

    // With Open MPI's default handler (errors are fatal) a failing call ends the run itself; a returned error is still not ignored.
    private static void Check(int code, string function)
    {
        if (code != 0) throw new IOException($"{function} failed with MPI error code {code}.");
    }
}
