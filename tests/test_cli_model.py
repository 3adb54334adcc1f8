"""The model sub-commands of the console script."""
from imaginator_lite.cli.main import main


def test_info_lists_presets_with_official_counts(capsys):
    assert main(["info", "--preset", "paper"]) == 0
    out = capsys.readouterr().out
    assert "75,406,451" in out and "11,088,833" in out and "2,764,737" in out


def test_sample_writes_a_gif(tmp_path):
    out = tmp_path / "s.gif"
    assert main(["sample", "--preset", "tiny", "--out", str(out)]) == 0
    from PIL import Image

    with Image.open(out) as im:
        assert im.n_frames == 16


def test_sample_unknown_label_is_a_clean_error(tmp_path, capsys):
    assert main(["sample", "--label", "boredom", "--out", str(tmp_path / "x.gif")]) == 2
    assert "unknown label 'boredom'" in capsys.readouterr().err
