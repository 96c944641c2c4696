namespace Carousel.Distributed;

/// <summary>
/// Distributed training was asked for, but Open MPI's library (libmpi) could not be loaded: the message names the Debian
/// packages to install. An <see cref="IOException"/>: something missing on the machine, not a bad setting.
/// </summary>
/// <param name="message">What is missing and how to install it.</param>
public sealed class MpiNotInstalledException(string message) : IOException(message);
