using System.Text.Json.Serialization;
using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Models;

namespace Carousel.Training;

/// <summary>
/// What the trainers of models that read symbols into a recurrent stack and end in an output layer share besides the
/// loop's settings (the character model, the classifier, the tagger, the generator): how symbols enter the first layer,
/// dropout before the output layer, and how the recurrent weights are drawn.
/// </summary>
/// <remarks>
/// Each field is left out of the options' JSON at its default, so runs saved before the fields existed read, resume and
/// train as they did; the defaults are the models' behaviour before them.
/// </remarks>
public abstract record RecurrentModelSettings : TrainingLoopSettings
{
    /// <summary>An embedding of the symbols (the default) or one-hot symbols (no embedding matrix).</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<InputEncoding>))]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public InputEncoding Input { get; init; }

    /// <summary>
    /// The chance, in [0, 1), that each input of the output layer is zeroed while training (0: none, the default: the
    /// numbers of runs without it stay as they were; it does not follow Dropout, which acts between recurrent layers).
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public float OutputDropout { get; init; }

    /// <summary>How the recurrent weights are drawn (PyTorch's uniform by default).</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<RecurrentInit>))]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public RecurrentInit Init { get; init; }

    /// <summary>Clockwork and timescales cells: the period of each module, ascending (null: 1, 2, 4, 8).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<int>? ClockPeriods { get; init; }

    /// <summary>Time-delay layers (cell tdnn): the window of frames each output sees (null: 2 before, 2 after, dilations 1, 2, 4, …).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public TimeDelayWindow? TimeDelay { get; init; }

    /// <summary>
    /// The checks of the stack's structure (<see cref="ClockPeriods"/>, <see cref="TimeDelay"/> against the cell, the hidden
    /// size and the layers), for the trainers whose models take every kind of stack (classifier, tagger).
    /// </summary>
    protected void ValidateStructure(CellKind cell, int hidden, int layers, bool bidirectional) =>
        new RecurrentOptions(cell, 1, hidden, layers, bidirectional, 0f, InitialStateMode, Init, ClockPeriods, TimeDelay).Validate();

    /// <summary>
    /// For the models that step one symbol at a time when sampling or carry their state across windows of truncated BPTT
    /// (character model, generator): the cell must be recurrent and without a clock, whose phase a window would restart.
    /// </summary>
    protected void RequireSteppableCell(CellKind cell)
    {
        Require(cell.IsRecurrent() && !cell.HasClock(), "Cell",
            $"The {cell.ToCliName()} cell is for the classifier, the tagger, CTC and the tasks; this model samples step by step: use {CellKinds.CliNames.Replace(", clockwork, timescales or tdnn", "")}.");
        Require(ClockPeriods is null && TimeDelay is null, ClockPeriods is null ? "TimeDelay" : "ClockPeriods", "This model has no clockwork or time-delay layers.");
    }

    /// <summary>The checks of <see cref="Input"/>, <see cref="OutputDropout"/> and <see cref="Init"/>; a derived record calls it from its own.</summary>
    protected void ValidateModelInput()
    {
        Require(OutputDropout >= 0 && OutputDropout < 1, nameof(OutputDropout), $"OutputDropout must be in [0, 1), got {OutputDropout}.");
        Require(Enum.IsDefined(Input), nameof(Input), $"Unknown Input {Input}.");
        Require(Enum.IsDefined(Init), nameof(Init), $"Unknown Init {Init}.");
    }
}
