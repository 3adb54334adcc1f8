"""Evaluation: metrics against ground truth, the baselines, the feature classifier, the pass mark."""
from .baselines import BASELINES, baseline_predictors
from .classifier import VideoClassifier, get_classifier, load_feature_net, train_classifier
from .evaluate import evaluate, evaluate_predictor, evaluate_with_baselines, summary_table
from .metrics import conditional_accuracy, frechet_distance, official_psnr, psnr_per_frame, ssim_per_frame
from .verdict import tour_verdict, verdict_sentence, verdict_text

__all__ = ["BASELINES", "baseline_predictors", "VideoClassifier", "get_classifier", "load_feature_net",
           "train_classifier", "evaluate", "evaluate_predictor", "evaluate_with_baselines", "summary_table",
           "conditional_accuracy", "frechet_distance", "official_psnr", "psnr_per_frame", "ssim_per_frame",
           "tour_verdict", "verdict_sentence", "verdict_text"]
