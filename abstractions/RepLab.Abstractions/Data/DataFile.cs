using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace RepLab.Abstractions;

/// <summary>
/// Opens the files a run reads (datasets, checkpoints) so that none can hang it: a named pipe, a
/// socket or a terminal where a file is expected would block the read forever (and the signal that
/// should stop the run with it), so such a path is refused with a message naming it. Dataset plugins
/// open their files through here.
/// </summary>
public static class DataFile
{
    /// <summary>What a path is.</summary>
    public enum Kind
    {
        /// <summary>Nothing is there.</summary>
        Missing,

        /// <summary>A file that can be read to its end (a regular file, or a device that seeks, such as /dev/zero).</summary>
        Regular,

        /// <summary>A folder.</summary>
        Directory,

        /// <summary>A pipe, socket or terminal: reading it may never end.</summary>
        Special,
    }

    private const int ReadOnlyNonBlocking = 0x800 /* O_NONBLOCK */ | 0x80000 /* O_CLOEXEC */;

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    /// <summary>What <paramref name="path"/> is, found without blocking (a pipe is opened without waiting for a writer).</summary>
    public static Kind KindOf(string path)
    {
        if (System.IO.Directory.Exists(path)) return Kind.Directory;
        if (!File.Exists(path)) return Kind.Missing;
        using var stream = OpenNonBlocking(path);
        return stream is null ? Kind.Regular : stream.CanSeek ? Kind.Regular : Kind.Special;
    }

    /// <summary>A read-only stream over <paramref name="path"/>, or null when it cannot be opened this way (then .NET's own open reports why).</summary>
    private static FileStream? OpenNonBlocking(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var fd = Open(path, ReadOnlyNonBlocking);
        return fd < 0 ? null : new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Read, 1);
    }

    /// <summary>Throws unless <paramref name="path"/> is a file that can be read to its end; <paramref name="what"/> names it in the message ("checkpoint", "idx: images").</summary>
    /// <exception cref="FileNotFoundException">Nothing is there.</exception>
    /// <exception cref="InvalidDataException">A folder, pipe, socket or terminal is there.</exception>
    public static void RequireRegular(string path, string what)
    {
        switch (KindOf(path))
        {
            case Kind.Missing:
                throw new FileNotFoundException($"{what}: {path} does not exist", path);
            case Kind.Directory:
                throw new InvalidDataException($"{what}: {path} is a folder where a file belongs: move it away, or point the setting at the file");
            case Kind.Special:
                throw new InvalidDataException($"{what}: {path} is a pipe, socket or terminal, not a file (reading it could block forever): put the file itself there");
        }
    }

    /// <summary>Opens <paramref name="path"/> for reading once <see cref="RequireRegular"/> has passed.</summary>
    public static FileStream OpenRead(string path, string what, int bufferSize = 1 << 16)
    {
        RequireRegular(path, what);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize);
    }

    /// <summary>The whole of <paramref name="path"/> once <see cref="RequireRegular"/> has passed.</summary>
    public static byte[] ReadAllBytes(string path, string what)
    {
        RequireRegular(path, what);
        return File.ReadAllBytes(path);
    }
}
