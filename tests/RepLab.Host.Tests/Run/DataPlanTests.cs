using FluentAssertions;
using RepLab.Host.Experiment;
using RepLab.Abstractions;
using RepLab.Config;
using RepLab.Host.Run;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests;

/// <summary>
/// The <c>data:</c> section at run time (pretraining splits, evaluation sets, labelled fraction,
/// input normalisation) and the loader's per-view labels, on the synthetic dataset.
/// </summary>
public sealed class DataPlanTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("replab-data-").FullName;
    public void Dispose() => Directory.Delete(dir, recursive: true);

    private ExperimentSpec Spec(string data, string views = "", int seed = 5)
    {
        var path = Path.Combine(dir, $"{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, $$"""
            name: d
            seed: {{seed}}
            dataset: { plugin: synthetic, train-size: 60, test-size: 20, channels: 3, size: 8 }
            encoder: { plugin: conv-small, features: 8 }
            evaluation: [{ plugin: knn, k: 3 }]
            data: {{data}}
            {{views}}
            """);
        return ExperimentSpec.Bind(ExperimentLoader.Load(path), Repo.BuiltIns);
    }

    private static IDataset Synthetic(ExperimentSpec spec) => Repo.BuiltIns.Create<IDataset>("synthetic", spec.Dataset.Options);

    [Fact]
    public void Pretraining_splits_are_concatenated_in_order_and_keep_the_labels_they_have()
    {
        var spec = Spec("{ pretrain-splits: [unlabeled, train] }");
        var dataset = Synthetic(spec);
        using var both = DataPlan.Pretraining(dataset, spec.Data);
        using var unlabeled = dataset.Load("unlabeled");
        using var train = dataset.Load("train");
        both.Count.Should().Be(120);
        both.Labels!.slice(0, 0, 60).data<long>().Should().OnlyContain(l => l == ImageSet.Unlabelled, "the unlabeled split has none");
        both.Labels.slice(0, 60, 120).data<long>().Should().Equal(train.Labels!.data<long>(), "the train split keeps its labels");
        both.Classes.Should().Be(train.Classes);
        both.Name.Should().Be("synthetic/unlabeled+synthetic/train");
        both.Images.slice(0, 0, 60).data<byte>().Should().Equal(unlabeled.Images.data<byte>());
        both.Images.slice(0, 60, 120).data<byte>().Should().Equal(train.Images.data<byte>());

        var labelled = Spec("{ pretrain-splits: [train, test] }");
        using var trainTest = DataPlan.Pretraining(dataset, labelled.Data);
        trainTest.Labels!.size(0).Should().Be(80);
    }

    [Fact]
    public void Evaluation_reuses_the_pretraining_set_or_loads_the_labelled_probe_split()
    {
        var plain = Spec("{}");
        var dataset = Synthetic(plain);
        using var train = DataPlan.Pretraining(dataset, plain.Data);
        using (var sets = DataPlan.Evaluation(dataset, plain, train))
        {
            sets.Probe.Should().BeSameAs(train);
            sets.Test.Name.Should().Be("synthetic/test");
        }
        train.Images.numel().Should().BeGreaterThan(0, "the reused set is not disposed with the evaluation sets");

        var unlabeledOnly = Spec("{ pretrain-splits: [unlabeled] }");
        using var unlabeled = DataPlan.Pretraining(dataset, unlabeledOnly.Data);
        using (var sets = DataPlan.Evaluation(dataset, unlabeledOnly, unlabeled))
        {
            sets.Probe.Name.Should().Be("synthetic/train");
            sets.Probe.Labels.Should().NotBeNull();
        }

        var probeUnlabeled = Spec("{ probe-split: unlabeled }");
        var act = () => DataPlan.Evaluation(dataset, probeUnlabeled, train);
        act.Should().Throw<ConfigException>().Which.Errors.Single().ToString()
            .Should().Contain(":6:").And.Contain("data.probe-split: synthetic/unlabeled has no labels");
    }

    [Fact]
    public void A_label_fraction_fits_the_evaluators_on_a_stratified_subset_the_seed_fixes()
    {
        var spec = Spec("{ label-fraction: 0.25 }");
        var dataset = Synthetic(spec);
        using var train = DataPlan.Pretraining(dataset, spec.Data);
        using var a = DataPlan.Evaluation(dataset, spec, train);
        using var b = DataPlan.Evaluation(dataset, spec, train);
        using var c = DataPlan.Evaluation(dataset, Spec("{ label-fraction: 0.25 }", seed: 6), train);
        a.Probe.Count.Should().BeInRange(12, 20, "a quarter of 60, at least one per class");
        var perClass = a.Probe.Labels!.data<long>().GroupBy(l => l).Select(g => g.Count()).ToArray();
        perClass.Max().Should().BeLessThanOrEqualTo(perClass.Min() + 2, "stratified");
        a.Probe.Images.data<byte>().Should().Equal(b.Probe.Images.data<byte>());
        a.Probe.Images.data<byte>().Should().NotEqual(c.Probe.Images.data<byte>(), "another seed, another subset");
        a.Test.Count.Should().Be(20, "the test split is scored whole");
    }

    /// <summary>A dataset with a train split only, like image-folder without split-folders.</summary>
    private sealed class TrainOnly(IDataset inner) : IDataset
    {
        public IReadOnlyList<string> Splits => ["train"];
        public ImageSet Load(string split) => inner.Load(split);
    }

    [Fact]
    public void Without_a_test_split_the_evaluators_score_on_the_probe_split()
    {
        var spec = Spec("{}");
        var dataset = new TrainOnly(Synthetic(spec));
        using var train = DataPlan.Pretraining(dataset, spec.Data);
        using var sets = DataPlan.Evaluation(dataset, spec, train);
        sets.Test.Should().BeSameAs(sets.Probe);
    }

    [Fact]
    public void Auto_normalisation_uses_the_pretraining_images_statistics_and_fixed_values_must_match_the_channels()
    {
        var spec = Spec("{ normalize: auto }");
        using var train = DataPlan.Pretraining(Synthetic(spec), spec.Data);
        var (mean, std) = DataPlan.Normalization(spec, train)!.Value;
        using var x = train.Images.to(ScalarType.Float64) / 255.0;
        mean.Should().Equal(x.mean([0, 2, 3]).data<double>(), (a, e) => Math.Abs(a - e) < 1e-12);
        std.Should().Equal(x.std([0, 2, 3], correction: 0).data<double>(), (a, e) => Math.Abs(a - e) < 1e-9);

        DataPlan.Normalization(Spec("{}"), train).Should().BeNull();
        var fixedOk = Spec("{ normalize: fixed, mean: [0.1, 0.2, 0.3], std: [1, 2, 3] }");
        DataPlan.Normalization(fixedOk, train)!.Value.Std.Should().Equal(1, 2, 3);
        var oneChannel = Spec("{ normalize: fixed, mean: [0.5], std: [0.25] }");
        var act = () => DataPlan.Normalization(oneChannel, train);
        act.Should().Throw<ConfigException>().Which.Errors.Single().ToString()
            .Should().Contain(":6:").And.Contain("data.mean").And.Contain("1 values for synthetic/train's 3 channels");
    }

    [Fact]
    public void The_normalised_encoder_feeds_its_encoder_standardised_input_and_saves_the_statistics()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(1);
        using var inner = Repo.BuiltIns.Create<IEncoder>("conv-small", BuiltIn.Options(PluginKind.Encoder, "conv-small", ("Features", 8)))
            .Build(new ImageShape(3, 16, 16));
        double[] mean = [0.2, 0.4, 0.6], std = [0.5, 0.25, 2];
        using var wrapped = new NormalizedEncoder(inner, mean, std);
        wrapped.Features.Should().Be(8);
        var x = torch.rand([4, 3, 16, 16]);
        var standardised = (x - torch.tensor<double>(mean, [1, 3, 1, 1], ScalarType.Float32)) / torch.tensor<double>(std, [1, 3, 1, 1], ScalarType.Float32);
        wrapped.forward(x).data<float>().Should().Equal(inner.forward(standardised).data<float>());
        var keys = wrapped.state_dict().Keys.ToList();
        keys.Should().StartWith(["input_mean", "input_std"]);
        keys.Skip(2).Should().Equal(inner.state_dict().Keys.Select(k => "encoder." + k));
        wrapped.state_dict()["input_std"].data<float>().Should().Equal(0.5f, 0.25f, 2f);
    }

    [Fact]
    public void Channel_statistics_do_not_depend_on_the_chunk_size()
    {
        var spec = Spec("{}");
        using var train = DataPlan.Pretraining(Synthetic(spec), spec.Data);
        var (m1, s1) = Subsets.ChannelStatistics(train, chunk: 7);
        var (m2, s2) = Subsets.ChannelStatistics(train);
        m1.Should().Equal(m2, (a, e) => Math.Abs(a - e) < 1e-12);
        s1.Should().Equal(s2, (a, e) => Math.Abs(a - e) < 1e-12);
    }

    [Fact]
    public void Colour_steps_on_grayscale_images_are_named_in_warnings()
    {
        var spec = Spec("{}", """
            views:
              - [{ plugin: random-flip }, { plugin: color-jitter }]
              - [{ plugin: random-grayscale }, { plugin: color-jitter, saturation: 0, hue: 0 }]
            """);
        var gray = RunAssembly.ViewWarnings(spec, 1).ToList();
        gray.Should().HaveCount(2);
        gray[0].Should().StartWith("views.0.1 (color-jitter): saturation and hue do nothing on 1-channel images");
        gray[1].Should().StartWith("views.1.0 (random-grayscale): the images are already grayscale");
        RunAssembly.ViewWarnings(spec, 3).Should().BeEmpty();
    }

    /// <summary>torch.rot90(x, k, dims=(2, 3)), written out: a quarter turn counter-clockwise flips W then transposes.</summary>
    private static Tensor Rot90(Tensor x, int k) => k switch
    {
        0 => x.clone(),
        1 => x.flip([3]).transpose(2, 3).contiguous(),
        2 => x.flip([2, 3]),
        _ => x.transpose(2, 3).flip([3]).contiguous(),
    };

    [Fact]
    public void Views_carry_the_labels_of_their_last_labelling_augmentation()
    {
        var spec = Spec("{}", """
            views:
              - [{ plugin: random-flip }, { plugin: rotate90 }]
              - [{ plugin: random-flip }]
            """);
        using var train = DataPlan.Pretraining(Synthetic(spec), spec.Data);
        var pipelines = RunAssembly.Pipelines(spec);
        var loader = new BatchLoader(train, train.Labels, train.Count, 16, 1, pipelines, Device.CPU, spec.Seed, (0, 1));
        var (_, _, loaded) = loader.Epoch(0, 0, 0, 1).Single();
        using (loaded)
        {
            var batch = loaded.Batch;
            batch.ViewLabels[1].Should().BeNull("the second view has no labelling step");
            var labels = batch.ViewLabels[0]!.data<long>();
            labels.Should().OnlyContain(k => k >= 0 && k < 4).And.HaveCountGreaterThan(1);
            labels.Distinct().Should().HaveCountGreaterThan(1, "each sample draws its own rotation");
            // The label is the rotation: turning each view back by it gives the flipped image, same draws.
            using var g = new Generator(SeedStreams.View(spec.Seed, 0, 0));
            using var flipped = pipelines[0][0].Apply(batch.Original, g);
            for (var i = 0; i < 16; i++)
            {
                using var back = Rot90(batch.Views[0].slice(0, i, i + 1), (int)(4 - labels[i]) % 4);
                back.data<float>().Should().Equal(flipped.slice(0, i, i + 1).data<float>(), $"sample {i}, rotation {labels[i]}");
            }
        }
    }
}
