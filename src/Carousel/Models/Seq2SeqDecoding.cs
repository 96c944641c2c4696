using Carousel.Data;
using Carousel.Layers.Recurrent;

namespace Carousel.Models;

/// <summary>An output sequence (end symbol not included), its log-probability under the model and its ranking score.</summary>
/// <param name="Tokens">The target symbol ids, without start or end symbol.</param>
/// <param name="LogProbability">ln P(tokens, then the end symbol if finished | source), in nats.</param>
/// <param name="Score">What hypotheses are ranked by: the log-probability, divided by length^penalty in a beam search with one.</param>
/// <param name="Finished">Whether the model emitted the end symbol (false: the length limit cut it off).</param>
public sealed record Hypothesis(int[] Tokens, double LogProbability, double Score, bool Finished);

/// <summary>
/// Greedy and beam-search decoding of a <see cref="Seq2Seq"/> model, a batch of sources at a time, one decoder step
/// (T = 1, state carried) per output symbol. Only real symbols and the end symbol are ever produced. Decoding stops at
/// the end symbol or after <see cref="MaxLength"/> symbols. Given several models (an ensemble: the same source and target
/// symbols), every step scores each symbol by the mean of the models' log-probabilities, and each model carries its own state.
/// </summary>
public static class Seq2SeqDecoding
{
    /// <summary>The longest output allowed for a source of the given length: twice the source plus ten.</summary>
    public static int MaxLength(int sourceLength) => 2 * sourceLength + 10;

    /// <summary>The most likely symbol at every step, one hypothesis per source.</summary>
    public static Hypothesis[] Greedy(Seq2Seq model, PaddedBatch source) => Greedy([model], source);

    /// <summary>The most likely symbol at every step under the ensemble's mean log-probabilities, one hypothesis per source.</summary>
    public static Hypothesis[] Greedy(IReadOnlyList<Seq2Seq> models, PaddedBatch source)
    {
        int B = source.BatchSize, V = TargetVocabulary(models), steps = MaxLength(source.Steps);
        var state = new EnsembleState(models, source, beams: 1);
        var previous = new int[B];
        Array.Fill(previous, TokenVocabulary.StartId);
        var tokens = new List<int>[B];
        var logProbability = new double[B];
        var finished = new bool[B];
        for (int b = 0; b < B; b++) tokens[b] = new List<int>();
        var logProbabilities = new float[B * V];
        int open = B;
        for (int t = 0; t < steps && open > 0; t++)
        {
            state.Step(previous, logProbabilities);
            for (int b = 0; b < B; b++)
            {
                if (finished[b]) { previous[b] = TokenVocabulary.EndId; continue; }
                var row = logProbabilities.AsSpan(b * V, V);
                int best = TokenVocabulary.EndId;
                for (int v = TokenVocabulary.EndId + 1; v < V; v++)
                    if (row[v] > row[best]) best = v;
                logProbability[b] += row[best];
                previous[b] = best;
                if (best == TokenVocabulary.EndId) { finished[b] = true; open--; }
                else tokens[b].Add(best);
            }
        }
        var result = new Hypothesis[B];
        for (int b = 0; b < B; b++) result[b] = new Hypothesis([.. tokens[b]], logProbability[b], logProbability[b], finished[b]);
        return result;
    }

    /// <summary>
    /// Beam search with K beams per source: at each step every open hypothesis is extended by every symbol and the K
    /// best by log-probability are kept, finished hypotheses competing with open ones. Returns per source up to K
    /// hypotheses, best first, ranked by log-probability / length^<paramref name="lengthPenalty"/> (length counting the
    /// end symbol; 0 ranks by log-probability itself).
    /// </summary>
    public static List<Hypothesis>[] Beam(Seq2Seq model, PaddedBatch source, int beams, double lengthPenalty = 0) =>
        Beam([model], source, beams, lengthPenalty);

    /// <summary>Beam search as <see cref="Beam(Seq2Seq, PaddedBatch, int, double)"/> under the ensemble's mean log-probabilities.</summary>
    public static List<Hypothesis>[] Beam(IReadOnlyList<Seq2Seq> models, PaddedBatch source, int beams, double lengthPenalty = 0)
    {
        if (beams < 1) throw new ArgumentException($"The beam size must be at least 1, got {beams}.");
        if (!(lengthPenalty >= 0)) throw new ArgumentException($"The length penalty must be ≥ 0, got {lengthPenalty}.");
        int B = source.BatchSize, K = beams, N = B * K, V = TargetVocabulary(models), steps = MaxLength(source.Steps);
        var state = new EnsembleState(models, source, K);
        var previous = new int[N];
        Array.Fill(previous, TokenVocabulary.StartId);
        var tokens = new int[N][];
        var scores = new double[N];
        var finished = new bool[N];
        for (int r = 0; r < N; r++)
        {
            tokens[r] = [];
            scores[r] = r % K == 0 ? 0 : double.NegativeInfinity; // one live hypothesis per source to start
        }
        var logProbabilities = new float[N * V];
        var candidates = new List<(double Score, int Row, int Symbol)>(K * V);
        var parents = new int[N];
        var nextTokens = new int[N][];
        var nextScores = new double[N];
        var nextFinished = new bool[N];
        for (int t = 0; t < steps && !AllFinished(finished, scores); t++)
        {
            state.Step(previous, logProbabilities);
            for (int b = 0; b < B; b++)
            {
                candidates.Clear();
                for (int k = 0; k < K; k++)
                {
                    int r = b * K + k;
                    if (double.IsNegativeInfinity(scores[r])) continue;
                    if (finished[r]) { candidates.Add((scores[r], r, -1)); continue; }
                    var row = logProbabilities.AsSpan(r * V, V);
                    for (int v = TokenVocabulary.EndId; v < V; v++) candidates.Add((scores[r] + row[v], r, v));
                }
                // best first; ties by row then symbol, so K = 1 picks what greedy picks
                candidates.Sort((x, y) => x.Score != y.Score ? y.Score.CompareTo(x.Score) : x.Row != y.Row ? x.Row.CompareTo(y.Row) : x.Symbol.CompareTo(y.Symbol));
                for (int k = 0; k < K; k++)
                {
                    int r = b * K + k;
                    if (k >= candidates.Count)
                    {
                        parents[r] = b * K; nextTokens[r] = []; nextScores[r] = double.NegativeInfinity; nextFinished[r] = true;
                        continue;
                    }
                    var (score, parent, symbol) = candidates[k];
                    parents[r] = parent;
                    nextScores[r] = score;
                    nextFinished[r] = symbol < 0 || symbol == TokenVocabulary.EndId;
                    nextTokens[r] = symbol > TokenVocabulary.EndId ? [.. tokens[parent], symbol] : tokens[parent];
                    previous[r] = symbol < 0 ? TokenVocabulary.EndId : symbol;
                }
            }
            (tokens, nextTokens) = (nextTokens, tokens);
            (scores, nextScores) = (nextScores, scores);
            (finished, nextFinished) = (nextFinished, finished);
            state.Gather(parents);
        }

        var result = new List<Hypothesis>[B];
        for (int b = 0; b < B; b++)
        {
            var list = new List<Hypothesis>(K);
            for (int k = 0; k < K; k++)
            {
                int r = b * K + k;
                if (double.IsNegativeInfinity(scores[r])) continue;
                double rank = lengthPenalty == 0 ? scores[r] : scores[r] / Math.Pow(tokens[r].Length + 1, lengthPenalty);
                list.Add(new Hypothesis(tokens[r], scores[r], rank, finished[r]));
            }
            list.Sort((x, y) => y.Score.CompareTo(x.Score));
            result[b] = list;
        }
        return result;
    }

    private static int TargetVocabulary(IReadOnlyList<Seq2Seq> models)
    {
        if (models.Count == 0) throw new ArgumentException("Decoding needs at least one model.");
        int V = models[0].Config.TargetVocabulary;
        foreach (var model in models)
            if (model.Config.TargetVocabulary != V) throw new ArgumentException("The models of an ensemble must share their target symbols.");
        return V;
    }

    /// <summary>Each model's decoder state, stepped together; one model writes its log-probabilities directly, several their mean.</summary>
    private sealed class EnsembleState
    {
        private readonly IReadOnlyList<Seq2Seq> _models;
        private readonly Seq2SeqDecoderState[] _states;
        private readonly float[] _scratch;   // [N, V] one model's log-probabilities, when there are several

        public EnsembleState(IReadOnlyList<Seq2Seq> models, PaddedBatch source, int beams)
        {
            _models = models;
            _states = models.Select(m => m.StartDecoding(source, beams)).ToArray();
            _scratch = models.Count > 1 ? new float[source.BatchSize * beams * models[0].Config.TargetVocabulary] : [];
        }

        // logProbabilities [N, V] = mean over the models of their log-probabilities
        public void Step(int[] previous, float[] logProbabilities)
        {
            if (_models.Count == 1)
            {
                _states[0] = _models[0].DecodeStep(previous, _states[0], logProbabilities);
                return;
            }
            Array.Clear(logProbabilities);
            for (int m = 0; m < _models.Count; m++)
            {
                _states[m] = _models[m].DecodeStep(previous, _states[m], _scratch);
                System.Numerics.Tensors.TensorPrimitives.Add(logProbabilities, _scratch, logProbabilities);
            }
            System.Numerics.Tensors.TensorPrimitives.Multiply(logProbabilities, 1f / _models.Count, logProbabilities);
        }

        public void Gather(int[] rows)
        {
            for (int m = 0; m < _states.Length; m++) _states[m] = _states[m].Gather(rows);
        }
    }

    private static bool AllFinished(bool[] finished, double[] scores)
    {
        for (int r = 0; r < finished.Length; r++)
            if (!finished[r] && !double.IsNegativeInfinity(scores[r])) return false;
        return true;
    }
}
