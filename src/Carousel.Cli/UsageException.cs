namespace Carousel.Cli;

/// <summary>
/// A command line that cannot be run as given, found by the CLI itself (a missing or conflicting option, a list that
/// does not parse): its message names the flags as the user typed them. Reported as <c>error: message</c>, exit 2.
/// The library's own refusals of a value are <see cref="SettingException"/>s, whose setting names the CLI turns into flags.
/// </summary>
internal sealed class UsageException(string message) : Exception(message);
